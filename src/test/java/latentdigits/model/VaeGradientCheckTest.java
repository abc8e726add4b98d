package latentdigits.model;

import latentdigits.testing.DoublePrecision;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.deeplearning4j.nn.weights.WeightInit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DL4J's GradientCheckUtil on the VAE graph: the sampling vertex's backward pass and the KL loss's gradient must agree
 * with finite differences of the whole negative ELBO. Noise is fixed during the check (a fresh eps per forward pass would
 * make finite differences meaningless); double precision as GradientCheckUtil requires.
 */
@ExtendWith(DoublePrecision.class)
class VaeGradientCheckTest {

    @AfterEach
    void freshNoiseAgain() {
        GaussianSampleVertexImpl.fixedNoiseForTests = null;
    }

    /** A small smooth architecture (tanh, 16 "pixels") so that every parameter can be checked quickly. */
    static final class TinyVae implements VaeArchitecture {
        @Override
        public String name() {
            return "tiny";
        }

        @Override
        public InputType imageInputType() {
            return InputType.feedForward(16);
        }

        @Override
        public void addEncoder(GraphBuilder g, String input, int latent) {
            g.addLayer("enc1", new DenseLayer.Builder().nOut(6).activation(Activation.TANH).build(), input)
                    .addLayer(MOMENTS, new DenseLayer.Builder().nOut(2 * latent).activation(Activation.IDENTITY).build(), "enc1");
        }

        @Override
        public void addDecoder(GraphBuilder g, String z, int latent) {
            g.addLayer("dec1", new DenseLayer.Builder().nOut(6).activation(Activation.TANH).build(), z)
                    .addLayer(LOGITS, new DenseLayer.Builder().nOut(16).activation(Activation.IDENTITY).build(), "dec1");
        }
    }

    private static void fixNoise(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray fixed = Nd4j.randn(DataType.DOUBLE, 1, 64);
        GaussianSampleVertexImpl.fixedNoiseForTests = n -> fixed.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n)).dup();
    }

    private static ComputationGraph checkable(VaeArchitecture arch, int latent) {
        // GradientCheckUtil needs the NoOp updater; otherwise the same graph VaeNetworks builds
        // biases start at 0.1, not 0: a ReLU unit fed only zeros would sit exactly on its kink, where finite differences are wrong
        GraphBuilder g = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE).updater(new NoOp()).biasInit(0.1)
                .weightInit(WeightInit.XAVIER).graphBuilder().addInputs(VaeNetworks.IMAGE);
        arch.addEncoder(g, VaeNetworks.IMAGE, latent);
        g.addVertex(VaeNetworks.Z, new GaussianSampleVertex(), VaeArchitecture.MOMENTS);
        arch.addDecoder(g, VaeNetworks.Z, latent);
        g.addLayer(VaeNetworks.RECONSTRUCTION, VaeNetworks.reconstructionLoss(), VaeArchitecture.LOGITS)
                .addLayer(VaeNetworks.KL, VaeNetworks.klLoss(), VaeArchitecture.MOMENTS)
                .setOutputs(VaeNetworks.RECONSTRUCTION, VaeNetworks.KL)
                .setInputTypes(arch.imageInputType());
        ComputationGraphConfiguration conf = g.build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    /**
     * Random binary images through the whole VAE (latent 2), every parameter checked against finite differences
     * except batch-norm running statistics, which are updated by averaging, not by gradients.
     */
    static boolean gradientsMatch(VaeArchitecture arch, int pixels, int batch, long seed) {
        fixNoise(seed);
        ComputationGraph graph = checkable(arch, 2);
        INDArray x = Nd4j.rand(DataType.DOUBLE, batch, pixels).gt(0.5).castTo(DataType.DOUBLE);
        java.util.Set<String> runningStatistics = new java.util.HashSet<>();
        for (String key : graph.paramTable().keySet())
            if (key.endsWith("_mean") || key.endsWith("_var") || key.endsWith("_log10stdev")) runningStatistics.add(key);
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(graph)
                .inputs(new INDArray[]{x}).labels(new INDArray[]{x, Nd4j.zeros(DataType.DOUBLE, batch, 4)})
                .epsilon(1e-5).maxRelError(1e-3).minAbsoluteError(1e-7).excludeParams(runningStatistics));
    }

    @Test
    void everyParameterOfASmallVaeMatchesFiniteDifferences() {
        assertTrue(gradientsMatch(new TinyVae(), 16, 5, 11), "gradient check of the tiny VAE");
    }

    @Test
    void theStudysMlpVaeAtASmallSizePasses() {
        // DL4J's graph gradient check visits every parameter (M2 ignores subset for graphs): 20 pixels, 6 hidden units
        assertTrue(gradientsMatch(new MlpVae(20, 6), 20, 4, 12), "gradient check of the MLP VAE (ReLU) at 20 pixels / 6 hidden units");
    }

    @Test
    void theConvolutionalVaeAtASmallSizePasses() {
        // 8x8 images, 2 channels: convolutions 8 -> 4 -> 2 -> 1, transposed convolutions 1 -> 2 -> 4 -> 8
        assertTrue(gradientsMatch(new CnnVae(2, 8), 64, 4, 13), "gradient check of the CNN VAE at 8x8 pixels / 2 channels");
    }

    @Test
    void samplingUsesFreshNoiseAndTheReparameterisation() {
        ComputationGraph graph = VaeNetworks.full(new VaeNetworks.Spec(new TinyVae(), 2, 1e-3, 5, DataType.DOUBLE));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 16);
        INDArray moments = graph.feedForward(x, false).get(VaeArchitecture.MOMENTS);
        INDArray z1 = graph.feedForward(x, false).get(VaeNetworks.Z);
        INDArray z2 = graph.feedForward(x, false).get(VaeNetworks.Z);
        assertFalse(z1.equalsWithEps(z2, 1e-9), "eps must be drawn afresh on every forward pass");
        GaussianSampleVertexImpl.fixedNoiseForTests = n -> Nd4j.ones(DataType.DOUBLE, n);
        INDArray z = graph.feedForward(x, false).get(VaeNetworks.Z);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 2; j++) {
                double expected = moments.getDouble(i, j) + Math.exp(moments.getDouble(i, 2 + j) / 2);
                assertEquals(expected, z.getDouble(i, j), 1e-9);
            }
        }
    }
}
