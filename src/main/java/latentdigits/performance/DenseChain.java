package latentdigits.performance;

import latentdigits.util.DirectBuffers;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.SigmoidDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.deeplearning4j.nn.layers.FrozenLayerWithBackprop;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static latentdigits.performance.Blas.gemm;

/**
 * A chain of a graph's {@link BlasDenseLayer}s, {@code input -> l1 -> ... -> last}, run forward and backward outside
 * DL4J's graph: the same matrix products on the same arrays in the same layouts as the layers' own code, so the same
 * numbers, without the graph's per-vertex bookkeeping, workspaces and per-minibatch arrays. The arrays a pass needs
 * are allocated once per minibatch size and reused.
 * <p>
 * Gradients go into the layers' own gradient views, i.e. into the graph's flattened gradient, where DL4J's updater
 * takes them from.
 */
public final class DenseChain {
    private final BlasDenseLayer.Impl[] layers;
    private final Kind[] kinds;
    /** Per layer: inside DL4J's FrozenLayerWithBackprop, so it passes gradients on and keeps its gradient view at zero. */
    private final boolean[] frozen;
    /** Per layer: the negative slope of a leaky ReLU layer, as the float ND4J's ops use. */
    private final float[] slopes;
    private long batch = -1;
    private INDArray ones;
    private INDArray[] preActivations, outputs, deltas, inputGradients;
    private float[][] scratch, epsilonScratch;
    private INDArray input;

    /**
     * How a layer's activation is computed: identity, ReLU and leaky ReLU here in Java ({@link ElementwiseActivations}), and
     * {@link RationalTanh} by its own loop;
     * sigmoid and tanh by the ops of ND4J's activations, written straight to the chain's arrays (tanh backward, as
     * {@link BlasDenseLayer} does it, from its output in Java); anything else by its ND4J activation both ways.
     */
    private enum Kind { IDENTITY, RELU, LEAKY_RELU, TANH, RATIONAL_TANH, SIGMOID, OTHER }

    private DenseChain(List<BlasDenseLayer.Impl> layers, List<Boolean> frozen) {
        this.layers = layers.toArray(BlasDenseLayer.Impl[]::new);
        this.kinds = new Kind[this.layers.length];
        this.frozen = new boolean[this.layers.length];
        this.slopes = new float[this.layers.length];
        for (int i = 0; i < kinds.length; i++) {
            IActivation activation = this.layers[i].layerConf().getActivationFn();
            kinds[i] = activation instanceof ActivationIdentity ? Kind.IDENTITY
                    : ElementwiseActivations.isPlainRelu(activation) ? Kind.RELU : activation instanceof ActivationLReLU ? Kind.LEAKY_RELU
                    : activation instanceof ActivationTanH ? Kind.TANH : activation instanceof RationalTanh ? Kind.RATIONAL_TANH : activation instanceof ActivationSigmoid ? Kind.SIGMOID : Kind.OTHER;
            if (activation instanceof ActivationLReLU leaky) slopes[i] = (float) leaky.getAlpha();
            this.frozen[i] = frozen.get(i);
        }
    }

    /**
     * The chain of layers from the vertex fed by {@code input} up to and including {@code last}, or null unless every
     * vertex on it is a float {@link BlasDenseLayer} with one input and nothing that layer leaves to DL4J (dropout,
     * weight noise), or such a layer configured {@code frozen} inside DL4J's {@code FrozenLayerWithBackprop}.
     */
    public static DenseChain of(ComputationGraph graph, String input, String last) {
        Map<String, GraphVertex> vertices = graph.getConfiguration().getVertices();
        Map<String, List<String>> inputs = graph.getConfiguration().getVertexInputs();
        List<BlasDenseLayer.Impl> chain = new ArrayList<>();
        List<Boolean> frozen = new ArrayList<>();
        for (String name = last; !name.equals(input); ) {
            List<String> from = inputs.get(name);
            if (!(vertices.get(name) instanceof LayerVertex) || from == null || from.size() != 1) return null;
            Layer layer = graph.getLayer(name);
            boolean wrapped = layer instanceof FrozenLayerWithBackprop;
            if (wrapped) layer = ((FrozenLayerWithBackprop) layer).getInsideLayer();
            if (!(layer instanceof BlasDenseLayer.Impl dense) || dense.layerConf().isFrozen() != wrapped || dense.layerConf().getIDropout() != null
                    || dense.layerConf().getWeightNoise() != null || dense.getParam(DefaultParamInitializer.WEIGHT_KEY).dataType() != DataType.FLOAT)
                return null;
            chain.add(dense);
            frozen.add(wrapped);
            name = from.get(0);
        }
        if (chain.isEmpty()) return null;
        Collections.reverse(chain);
        Collections.reverse(frozen);
        return new DenseChain(chain, frozen);
    }

    /** The layers' names, input side first: their parameters and gradients in the graph. */
    public List<String> layerNames() {
        List<String> names = new ArrayList<>();
        for (BlasDenseLayer.Impl layer : layers) names.add(layer.layerConf().getLayerName());
        return names;
    }

    /** The trained (not frozen) layers' gradient views by DL4J's gradient keys ("layer_W", "layer_b"). */
    public Map<String, INDArray> gradientViews() {
        Map<String, INDArray> views = new java.util.LinkedHashMap<>();
        for (int l = 0; l < layers.length; l++)
            for (String key : List.of(DefaultParamInitializer.WEIGHT_KEY, DefaultParamInitializer.BIAS_KEY))
                if (!frozen[l]) views.put(layers[l].layerConf().getLayerName() + "_" + key, layers[l].gradientView(key));
        return views;
    }

    /** How many parameters the chain's layers hold, frozen ones included. */
    public long parameterCount() {
        long n = 0;
        for (BlasDenseLayer.Impl layer : layers) n += layer.numParams();
        return n;
    }

    /**
     * The chain's output for {@code x} ([batch, inputs], float, either order); the returned array, and everything
     * backward needs, are kept until the next forward pass with the same minibatch size.
     */
    public INDArray forward(INDArray x) {
        allocate(x.size(0));
        input = x;
        INDArray in = x;
        for (int l = 0; l < layers.length; l++) {
            INDArray z = preActivations[l];
            gemm(ones, false, layers[l].getParam(DefaultParamInitializer.BIAS_KEY), false, z, 0.0);
            gemm(in, false, layers[l].getParam(DefaultParamInitializer.WEIGHT_KEY), false, z, 1.0);
            switch (kinds[l]) {
                case IDENTITY -> outputs[l] = z;
                case RELU -> {
                    float[] v = DirectBuffers.read(z, scratch[l]);
                    ElementwiseActivations.relu(v, (int) z.length());
                    DirectBuffers.write(v, outputs[l]);
                }
                case LEAKY_RELU -> {
                    float[] v = DirectBuffers.read(z, scratch[l]);
                    ElementwiseActivations.leakyRelu(v, (int) z.length(), slopes[l]);
                    DirectBuffers.write(v, outputs[l]);
                }
                case RATIONAL_TANH -> {
                    float[] v = DirectBuffers.read(z, scratch[l]);
                    RationalTanh.tanhInPlace(v, v.length);
                    DirectBuffers.write(v, outputs[l]);
                }
                case SIGMOID -> Nd4j.getExecutioner().exec(new Sigmoid(z, outputs[l]));
                case TANH -> Nd4j.getExecutioner().exec(new Tanh(z, outputs[l]));
                case OTHER -> layers[l].layerConf().getActivationFn().getActivation(outputs[l].assign(z), true);
            }
            in = outputs[l];
        }
        return outputs[layers.length - 1];
    }

    /**
     * Backpropagates {@code epsilon} (the loss's gradient at the chain's output, [batch, outputs]) through the last
     * forward pass into every layer's gradient view; returns the gradient at the chain's input when asked for, else
     * null (the first layer of a network needs none).
     */
    public INDArray backward(INDArray epsilon, boolean inputGradient) {
        if (input == null) throw new IllegalStateException("DenseChain: backward without a forward pass");
        // the element-wise backprop below walks epsilon and the kept arrays in the same (column-major) memory order
        boolean columnMajor = epsilon.ordering() == 'f' || epsilon.columns() == 1; // a column is laid out alike either way
        INDArray e = columnMajor && DirectBuffers.contiguous(epsilon) ? epsilon : epsilon.dup('f');
        for (int l = layers.length - 1; l >= 0; l--) {
            INDArray delta = switch (kinds[l]) {
                case IDENTITY -> e;
                case RELU -> {
                    float[] z = DirectBuffers.read(preActivations[l], scratch[l]);
                    float[] g = DirectBuffers.read(e, epsilonScratch[l]);
                    ElementwiseActivations.reluBackprop(z, g, g.length);
                    DirectBuffers.write(g, deltas[l]);
                    yield deltas[l];
                }
                case LEAKY_RELU -> {
                    float[] z = DirectBuffers.read(preActivations[l], scratch[l]);
                    float[] g = DirectBuffers.read(e, epsilonScratch[l]);
                    ElementwiseActivations.leakyReluBackprop(z, g, g.length, slopes[l]);
                    DirectBuffers.write(g, deltas[l]);
                    yield deltas[l];
                }
                case TANH, RATIONAL_TANH -> { // epsilon (1 - y^2), as BlasDenseLayer computes it from the output
                    float[] y = DirectBuffers.read(outputs[l], scratch[l]);
                    float[] g = DirectBuffers.read(e, epsilonScratch[l]);
                    for (int i = 0; i < g.length; i++) g[i] *= 1f - y[i] * y[i];
                    DirectBuffers.write(g, deltas[l]);
                    yield deltas[l];
                }
                case SIGMOID -> {
                    Nd4j.getExecutioner().exec(new SigmoidDerivative(preActivations[l], e, deltas[l]));
                    yield deltas[l];
                }
                case OTHER -> layers[l].layerConf().getActivationFn().backprop(deltas[l].assign(preActivations[l]), e.dup('f')).getFirst();
            };
            INDArray in = l == 0 ? input : outputs[l - 1];
            if (!frozen[l]) {
                gemm(ones, true, delta, false, layers[l].gradientView(DefaultParamInitializer.BIAS_KEY), 0.0);
                gemm(in, true, delta, false, layers[l].gradientView(DefaultParamInitializer.WEIGHT_KEY), 0.0);
            }
            if (l == 0 && !inputGradient) return null;
            gemm(delta, false, layers[l].getParam(DefaultParamInitializer.WEIGHT_KEY), true, inputGradients[l], 0.0);
            e = inputGradients[l];
        }
        return e;
    }

    private void allocate(long rows) {
        if (rows == batch) return;
        int n = layers.length;
        preActivations = new INDArray[n];
        outputs = new INDArray[n];
        deltas = new INDArray[n];
        inputGradients = new INDArray[n];
        scratch = new float[n][];
        epsilonScratch = new float[n][];
        try (MemoryWorkspace outside = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            ones = Nd4j.ones(DataType.FLOAT, rows, 1);
            for (int l = 0; l < n; l++) {
                INDArray w = layers[l].getParam(DefaultParamInitializer.WEIGHT_KEY);
                long in = w.size(0), out = w.size(1);
                preActivations[l] = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, out}, 'f');
                outputs[l] = kinds[l] == Kind.IDENTITY ? null : Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, out}, 'f');
                deltas[l] = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, out}, 'f');
                inputGradients[l] = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, in}, 'f');
                scratch[l] = new float[(int) (rows * out)];
                epsilonScratch[l] = new float[(int) (rows * out)];
            }
        }
        batch = rows;
    }

}
