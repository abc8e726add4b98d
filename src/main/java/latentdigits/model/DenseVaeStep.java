package latentdigits.model;

import latentdigits.performance.DenseChain;
import latentdigits.performance.OptimizerStep;
import latentdigits.util.DirectBuffers;
import latentdigits.util.FloatArrays;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;
import java.util.Map;

/**
 * One training step of a VAE whose encoder and decoder are chains of dense layers (the study's MLP VAE), the step
 * DL4J's {@code fit} takes, computed outside DL4J's graph: the two chains run by {@link DenseChain}, the sampling,
 * the two losses' gradients and their sum at the moments in a few Java loops, then the update as DL4J's optimizer
 * makes it ({@link OptimizerStep}). Every float is the one {@code fit} computes: the same matrix products on the
 * same layouts, ND4J's own exp and sigmoid, the same noise from the same random stream
 * ({@code DenseVaeStepTest} compares the parameters after many steps exactly).
 * <p>
 * Why: a minibatch of the MLP VAE is about 50 MFLOP; DL4J's graph spent more time around its ~55 ND4J ops (vertex
 * bookkeeping, workspaces, op building, the loss's score, which {@code fit} computes every minibatch and nothing
 * here reads) than in the matrix products themselves.
 */
public final class DenseVaeStep {
    private final ComputationGraph graph;
    private final DenseChain encoder, decoder;
    private final OptimizerStep update;
    private final float maxLogit = (float) BernoulliLogitLoss.MAX_LOGIT;
    private final int latent, pixelCount;
    private long batch = -1;
    private INDArray noise, z, exps, logitGradient, momentGradient;
    private float[] moments, noiseValues, zValues, expValues, sigmaNoise, logits, logitGradientValues, pixels, momentGradientValues, latentGradient;

    private DenseVaeStep(ComputationGraph graph, DenseChain encoder, DenseChain decoder) {
        this.graph = graph;
        this.encoder = encoder;
        this.decoder = decoder;
        this.update = OptimizerStep.forChains(graph, List.of(encoder, decoder));
        this.latent = (int) graph.getLayer(VaeArchitecture.MOMENTS).getParam(DefaultParamInitializer.BIAS_KEY).length() / 2;
        this.pixelCount = (int) graph.getLayer(VaeArchitecture.LOGITS).getParam(DefaultParamInitializer.BIAS_KEY).length();
    }

    /**
     * The step for {@code graph} when it is a float VAE as {@link VaeNetworks#full} builds it with dense chains on both
     * sides and nothing else holding parameters; null otherwise (the caller then uses {@code fit}).
     */
    public static DenseVaeStep of(ComputationGraph graph) {
        var conf = graph.getConfiguration();
        if (conf.getDataType() != DataType.FLOAT) return null;
        Map<String, GraphVertex> vertices = conf.getVertices();
        if (!(vertices.get(VaeNetworks.Z) instanceof GaussianSampleVertex)
                || !List.of(VaeArchitecture.MOMENTS).equals(conf.getVertexInputs().get(VaeNetworks.Z))
                || !isLoss(vertices.get(VaeNetworks.RECONSTRUCTION), BernoulliLogitLoss.class, ActivationSigmoid.class)
                || !List.of(VaeArchitecture.LOGITS).equals(conf.getVertexInputs().get(VaeNetworks.RECONSTRUCTION))
                || !isLoss(vertices.get(VaeNetworks.KL), KlToStandardNormalLoss.class, ActivationIdentity.class)
                || !List.of(VaeArchitecture.MOMENTS).equals(conf.getVertexInputs().get(VaeNetworks.KL))
                || !List.of(VaeNetworks.RECONSTRUCTION, VaeNetworks.KL).equals(conf.getNetworkOutputs()))
            return null;
        DenseChain encoder = DenseChain.of(graph, VaeNetworks.IMAGE, VaeArchitecture.MOMENTS);
        DenseChain decoder = DenseChain.of(graph, VaeNetworks.Z, VaeArchitecture.LOGITS);
        if (encoder == null || decoder == null || encoder.parameterCount() + decoder.parameterCount() != graph.numParams()) return null;
        return new DenseVaeStep(graph, encoder, decoder);
    }

    private static boolean isLoss(GraphVertex vertex, Class<?> loss, Class<?> activation) {
        return vertex instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof LossLayer layer
                && loss.isInstance(layer.getLossFn()) && activation.isInstance(layer.getActivationFn());
    }

    /** Whether the update is {@link OptimizerStep}'s one pass (the study's network: it is). */
    public boolean updatesInOnePass() {
        return update.onePass();
    }

    /** What {@code graph.fit(batch)} does, but for the score, which is not computed. */
    public void fit(MultiDataSet batch) {
        INDArray x = batch.getFeatures(0), target = batch.getLabels(0);
        allocate(x.size(0));
        int rows = (int) this.batch, k = latent;

        // encoder, then z = mu + exp(logvar / 2) * eps
        DirectBuffers.read(encoder.forward(x), moments); // [rows, 2k], column-major: mu columns, then logvar columns
        GaussianSampleVertexImpl.noise(noise); // [rows, k], row-major, as the vertex draws it
        DirectBuffers.read(noise, noiseValues);
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < k; c++) {
                float logvar = moments[(k + c) * rows + i];
                expValues[i * 2 * k + c] = logvar * 0.5f; // exp(logvar / 2) for the sample, exp(logvar) for the KL
                expValues[i * 2 * k + k + c] = logvar;
            }
        }
        DirectBuffers.write(expValues, exps);
        DirectBuffers.read(Transforms.exp(exps, false), expValues);
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < k; c++) {
                float s = noiseValues[i * k + c] * expValues[i * 2 * k + c];
                sigmaNoise[i * k + c] = s;
                zValues[i * k + c] = moments[c * rows + i] + s;
            }
        }
        DirectBuffers.write(zValues, z);

        // decoder and the Bernoulli loss's gradient at the logits: (sigmoid(clip(z)) - x), 0 where the clip holds
        INDArray logitArray = decoder.forward(z); // [rows, pixels], column-major
        DirectBuffers.read(logitArray, logits);
        float[] g = logitGradientValues;
        for (int i = 0; i < g.length; i++) g[i] = Math.max(Math.min(logits[i], maxLogit), -maxLogit);
        DirectBuffers.write(g, logitGradient);
        Nd4j.getExecutioner().exec(new Sigmoid(logitGradient, logitGradient));
        DirectBuffers.read(logitGradient, g);
        DirectBuffers.read(FloatArrays.rowMajor(target), pixels);
        for (int j = 0, p = 0; j < pixelCount; j++)
            for (int i = 0; i < rows; i++, p++)
                g[p] = (g[p] - pixels[i * pixelCount + j]) * (Math.abs(logits[p]) > maxLogit ? 0f : 1f);
        DirectBuffers.write(g, logitGradient);

        // back to z, then the moments' gradient: the sample's plus the KL's (mu; (e^logvar - 1) / 2)
        DirectBuffers.read(decoder.backward(logitGradient, true), latentGradient); // [rows, k], column-major
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < k; c++) {
                float dz = latentGradient[c * rows + i];
                momentGradientValues[c * rows + i] = dz + moments[c * rows + i];
                momentGradientValues[(k + c) * rows + i] = dz * sigmaNoise[i * k + c] * 0.5f + (expValues[i * 2 * k + k + c] - 1f) * 0.5f;
            }
        }
        DirectBuffers.write(momentGradientValues, momentGradient);
        encoder.backward(momentGradient, false);

        update.apply(rows);
    }

    private void allocate(long rows) {
        if (rows == batch) return;
        int n = (int) rows, k = latent;
        try (MemoryWorkspace outside = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            noise = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, k}, 'c');
            z = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, k}, 'c');
            exps = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, 2L * k}, 'c');
            logitGradient = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, pixelCount}, 'f');
            momentGradient = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, 2L * k}, 'f');
        }
        moments = new float[n * 2 * k];
        noiseValues = new float[n * k];
        zValues = new float[n * k];
        expValues = new float[n * 2 * k];
        sigmaNoise = new float[n * k];
        logits = new float[n * pixelCount];
        logitGradientValues = new float[n * pixelCount];
        pixels = new float[n * pixelCount];
        momentGradientValues = new float[n * 2 * k];
        latentGradient = new float[n * k];
        batch = rows;
    }
}
