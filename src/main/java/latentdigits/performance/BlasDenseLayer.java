package latentdigits.performance;

import java.util.Arrays;
import java.util.Collection;
import latentdigits.util.DirectBuffers;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static latentdigits.performance.Blas.gemm;

/**
 * DL4J's dense layer ({@code W}, {@code b}, the same parameters, initialisation and JSON shape), computed with three
 * matrix products forward and three backward and nothing else.
 * <p>
 * Why: DL4J's {@code DenseLayer} computes {@code x W + b} again in backprop to get the pre-activation (a second
 * matrix product and bias add per layer and minibatch), and adds and sums the bias with broadcast and reduction ops
 * that each build several native objects (five for every {@code addiRowVector}, three for the bias gradient's sum).
 * Every native object costs ND4J's deallocator thread a free and the collector a copy, which in Spark local[2] come
 * out of the training tasks' time. Here the forward pass keeps its pre-activation for backprop, and the bias is a
 * rank-one product with a column of ones both ways ({@code 1 b} forward, {@code 1^T delta} for its gradient).
 * <p>
 * Dropout, weight noise and masks are not used by this project; a layer configured with any of them, or asked for
 * gradients without a training forward pass on the same input, runs DL4J's own code.
 */
public class BlasDenseLayer extends FeedForwardLayer {
    /**
     * Whether the layer sits inside DL4J's {@code FrozenLayerWithBackprop} (G's copy of D): it then passes gradients on
     * without computing its own, which the wrapper would zero, and keeps its pre-activation when run with training
     * false, which is how the wrapper runs it inside a training pass. Configurations saved without it read as false.
     */
    private boolean frozen;
    /**
     * Whether the layer's output and input gradient are row-major ([minibatch, units] in C order) rather than
     * column-major, the products' natural layout here. For a layer next to a convolutional map: DL4J's reshapes
     * between maps and rows copy a column-major array in a transposing pass. Configurations saved without it read as
     * false.
     */
    private boolean rowMajor;

    /** For Jackson: DL4J stores layer configurations as JSON. */
    public BlasDenseLayer() {
    }

    public boolean isRowMajor() {
        return rowMajor;
    }

    public void setRowMajor(boolean rowMajor) {
        this.rowMajor = rowMajor;
    }

    /** This layer with row-major output and input gradient (see {@link #isRowMajor}). */
    public BlasDenseLayer rowMajor() {
        rowMajor = true;
        return this;
    }

    public boolean isFrozen() {
        return frozen;
    }

    /** Marks the layer as one to be wrapped in {@code FrozenLayerWithBackprop} (see {@link #isFrozen}). */
    public void setFrozen(boolean frozen) {
        this.frozen = frozen;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof BlasDenseLayer other && frozen == other.frozen && rowMajor == other.rowMajor;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * super.hashCode() + Boolean.hashCode(frozen)) + Boolean.hashCode(rowMajor);
    }

    private BlasDenseLayer(Builder builder) {
        super(builder);
        initializeConstraints(builder);
    }

    public static BlasDenseLayer of(int units, IActivation activation) {
        return new Builder().nOut(units).activation(activation).build();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNInNOutSet("BlasDenseLayer", getLayerName(), layerIndex, getNIn(), getNOut());
        return LayerWiring.wire(new Impl(conf, networkDataType), conf, listeners, layerIndex, layerParamsView, initializeParams, initializer());
    }

    @Override
    public ParamInitializer initializer() {
        return DefaultParamInitializer.getInstance();
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        InputType outputType = getOutputType(-1, inputType);
        long params = initializer().numParams(this);
        // training keeps the pre-activation next to the activation
        return new LayerMemoryReport.Builder(layerName, BlasDenseLayer.class, inputType, outputType)
                .standardMemory(params, getIUpdater().stateSize(params))
                .workingMemory(0, 0, 0, outputType.arrayElementsPerExample())
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    public static class Builder extends FeedForwardLayer.Builder<Builder> {
        @Override
        @SuppressWarnings("unchecked")
        public BlasDenseLayer build() {
            return new BlasDenseLayer(this);
        }
    }

    /** The layer itself; falls back to DL4J's {@link BaseLayer} code for what it does not handle. */
    public static class Impl extends BaseLayer<BlasDenseLayer> {
        private INDArray onesColumn;
        private INDArray preActivation;
        /** A tanh layer's output from the last training forward pass (its derivative needs nothing else). */
        private INDArray tanhOutput;
        private INDArray preActivationInput;

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }

        @Override
        public void fit(INDArray input, LayerWorkspaceMgr workspaceMgr) {
            throw new UnsupportedOperationException("Not supported");
        }

        @Override
        public boolean hasBias() {
            return true;
        }

        private boolean frozen() {
            return layerConf().isFrozen();
        }

        /** The order of the arrays this layer hands on: its output and its input gradient. */
        private char order() {
            return layerConf().isRowMajor() ? 'c' : 'f';
        }

        private boolean plain() {
            return layerConf().getIDropout() == null && layerConf().getWeightNoise() == null && maskArray == null
                    && input.rank() == 2 && input.size(1) == getParam(DefaultParamInitializer.WEIGHT_KEY).size(0);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            forgetPreActivation();
            if (!plain()) return super.activate(training, workspaceMgr);
            INDArray x = input.castTo(dataType);
            INDArray w = getParam(DefaultParamInitializer.WEIGHT_KEY);
            INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[]{x.size(0), w.size(1)}, order());
            gemm(ones(x.size(0)), false, getParam(DefaultParamInitializer.BIAS_KEY), false, z, 0.0);
            gemm(x, false, w, false, z, 1.0);
            IActivation activation = layerConf().getActivationFn();
            // a frozen layer is run with training false inside a training pass that backpropagates through it
            boolean backpropFollows = training || frozen();
            if (activation instanceof ActivationIdentity) {
                preActivationInput = backpropFollows ? input : null;
                return z;
            }
            if (!backpropFollows) return ElementwiseActivations.activate(activation, z, false);
            if (activation instanceof ActivationTanH || activation instanceof RationalTanh) {
                // tanh's derivative is 1 - tanh^2: backprop needs the output only, not tanh computed again from z
                tanhOutput = activation.getActivation(z, true);
                preActivationInput = input;
                return tanhOutput;
            }
            // the activation works in place; backprop needs z itself
            preActivation = z;
            preActivationInput = input;
            return ElementwiseActivations.activate(activation, z, workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, z.shape(), order()), true);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            if (preActivationInput != input || !plain()) return super.backpropGradient(epsilon, workspaceMgr);
            // an identity layer keeps no pre-activation: its delta is epsilon
            INDArray delta = tanhOutput != null ? tanhDelta(tanhOutput, epsilon, workspaceMgr)
                    : preActivation == null ? epsilon : ElementwiseActivations.backprop(layerConf().getActivationFn(), preActivation, epsilon);
            forgetPreActivation();

            INDArray x = input.castTo(dataType);
            long batch = x.size(0);
            Gradient gradient = new DefaultGradient();
            // a frozen layer passes epsilon on; its own gradient would be thrown away
            if (!frozen()) {
                INDArray biasGradient = gradientViews.get(DefaultParamInitializer.BIAS_KEY);
                gemm(ones(batch), true, delta, false, biasGradient, 0.0);
                gradient.gradientForVariable().put(DefaultParamInitializer.BIAS_KEY, biasGradient);
                INDArray weightGradient = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
                gemm(x, true, delta, false, weightGradient, 0.0);
                gradient.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, weightGradient);
            }

            INDArray w = getParam(DefaultParamInitializer.WEIGHT_KEY);
            INDArray epsilonNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, delta.dataType(), new long[]{batch, w.size(0)}, order());
            gemm(delta, false, w, true, epsilonNext, 0.0);
            return new Pair<>(gradient, epsilonNext);
        }

        /** {@code epsilon * (1 - y^2)}, the derivative ND4J's tanh backprop computes, from the output y. */
        private static INDArray tanhDelta(INDArray y, INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            boolean alike = y.dataType() == DataType.FLOAT && epsilon.dataType() == DataType.FLOAT && y.ordering() == epsilon.ordering()
                    && Arrays.equals(y.shape(), epsilon.shape()) && DirectBuffers.contiguous(y) && DirectBuffers.contiguous(epsilon);
            if (!alike) return y.mul(y).rsubi(1).muli(epsilon);
            INDArray delta = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, y.shape(), y.ordering());
            float[] yv = DirectBuffers.read(y), ev = DirectBuffers.read(epsilon);
            for (int i = 0; i < yv.length; i++) ev[i] *= 1f - yv[i] * yv[i];
            DirectBuffers.write(ev, delta);
            return delta;
        }

        /** The view of the graph's flattened gradient that holds this layer's gradient for {@code key} (W or b). */
        INDArray gradientView(String key) {
            return gradientViews.get(key);
        }

        /** Whether the last training forward pass left its pre-activation for backprop. */
        boolean keepsPreActivation() {
            return preActivationInput != null;
        }

        /** A column of ones, [batch, 1], kept outside DL4J's workspaces across minibatches. */
        private INDArray ones(long batch) {
            if (onesColumn == null || onesColumn.size(0) != batch || onesColumn.dataType() != dataType) {
                try (MemoryWorkspace outside = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                    onesColumn = Nd4j.ones(dataType, batch, 1);
                }
            }
            return onesColumn;
        }

        private void forgetPreActivation() {
            preActivation = null;
            tanhOutput = null;
            preActivationInput = null;
        }

        @Override
        public void clear() {
            super.clear();
            forgetPreActivation();
        }
    }
}
