package latentdigits.performance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import latentdigits.testing.DoublePrecision;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * ChannelBatchNormalization against finite differences and against DL4J's BatchNormalization, which it replaces,
 * configured as the CNN VAE configures it (leaky ReLU, defaults otherwise), behind a DL4J convolution so that the
 * gradient it passes back is checked too.
 */
@ExtendWith(DoublePrecision.class)
class ChannelBatchNormalizationTest {

    private static Layer batchNorm(boolean ours) {
        return ours ? new ChannelBatchNormalization.Builder().activation(Activation.LEAKYRELU).build()
                : new BatchNormalization.Builder().activation(Activation.LEAKYRELU).build();
    }

    /** in 6x6x2 -[DL4J conv 3x3 pad 1, tanh]-> 6x6x3 -[batch norm]-> -[DL4J conv 1x1]-> 6x6x2 -> squared error. */
    private static ComputationGraph graph(Layer batchNorm, DataType type, IUpdater updater) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(type)
                .updater(updater).weightInit(WeightInit.XAVIER).biasInit(0.1).graphBuilder()
                .addInputs("in")
                .addLayer("pre", new ConvolutionLayer.Builder(new int[]{3, 3}, new int[]{1, 1}, new int[]{1, 1})
                        .nOut(3).activation(Activation.TANH).build(), "in")
                .addLayer("bn", batchNorm, "pre")
                .addLayer("post", new ConvolutionLayer.Builder(1, 1).nOut(2).activation(Activation.IDENTITY).build(), "bn")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build(), "post")
                .setOutputs("loss").setInputTypes(InputType.convolutional(6, 6, 2)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** Inputs away from mean 0 and variance 1, so that the normalisation has something to do. */
    private static MultiDataSet data(long seed, DataType type) {
        Nd4j.getRandom().setSeed(seed);
        return new MultiDataSet(Nd4j.randn(type, 5, 2, 6, 6).muli(3).addi(1.5), Nd4j.randn(type, 5, 2, 6, 6));
    }

    private static ChannelBatchNormalization.Impl ours(ComputationGraph g) {
        return assertInstanceOf(ChannelBatchNormalization.Impl.class, g.getLayer("bn"));
    }

    /** max |expected - actual| / max(1, |expected|) over the elements. */
    private static double relativeError(INDArray expected, INDArray actual) {
        assertEquals(expected.length(), actual.length());
        double[] e = expected.castTo(DataType.DOUBLE).dup().data().asDouble();
        double[] a = actual.castTo(DataType.DOUBLE).dup().data().asDouble();
        double worst = 0;
        for (int i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(e[i] - a[i]) / Math.max(1, Math.abs(e[i])));
        return worst;
    }

    private static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        double error = relativeError(expected, actual);
        assertTrue(error <= tolerance, what + ": relative error " + error + " > " + tolerance);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ComputationGraph g = graph(batchNorm(true), DataType.DOUBLE, new NoOp());
        // gamma and beta away from their initial 1 and 0, different per channel
        g.getLayer("bn").setParam(BatchNormalizationParamInitializer.GAMMA, Nd4j.createFromArray(new double[][]{{0.5, 1.5, -2.0}}));
        g.getLayer("bn").setParam(BatchNormalizationParamInitializer.BETA, Nd4j.createFromArray(new double[][]{{0.1, -0.2, 0.3}}));
        MultiDataSet d = data(1, DataType.DOUBLE);
        // The running mean and log10(stdev) do not enter the training-mode loss that the check differentiates: their
        // "gradients" are the running-average updates, not derivatives (DL4J's own BN gradient checks exclude them).
        // Every other parameter is checked: gamma and beta directly, the input gradient through "pre"'s parameters.
        Set<String> runningStatistics = Set.of("bn_" + BatchNormalizationParamInitializer.GLOBAL_MEAN,
                "bn_" + BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                        .inputs(d.getFeatures()).labels(d.getLabels()).excludeParams(runningStatistics)
                        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)),
                "gradient check of the batch normalisation's gamma, beta and input gradients");
        assertTrue(ours(g).ownLastPass(), "the batch normalisation took its own path");
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void trainsAsDl4jsBatchNormalization(DataType type) {
        double tolerance = type == DataType.DOUBLE ? 1e-10 : 1e-4;
        ComputationGraph ours = graph(batchNorm(true), type, new Adam(1e-2));
        ComputationGraph theirs = graph(batchNorm(false), type, new Adam(1e-2));
        assertEquals(theirs.params(), ours.params(), "the same parameters from the same seed (same layout and initialisation)");
        for (int step = 0; step < 5; step++) {
            MultiDataSet d = data(10 + step, type);
            ours.fit(d);
            theirs.fit(d);
            assertEquals(theirs.score(), ours.score(), tolerance * Math.max(1, Math.abs(theirs.score())), "score after step " + step);
            assertClose(theirs.params(), ours.params(), tolerance, "parameters after step " + step + " (" + type + ")");
            assertTrue(ours(ours).ownLastPass(), "the batch normalisation took its own path forward and backward");
        }
        for (String running : new String[]{BatchNormalizationParamInitializer.GLOBAL_MEAN, BatchNormalizationParamInitializer.GLOBAL_LOG_STD}) {
            INDArray expected = theirs.getLayer("bn").getParam(running);
            assertFalse(expected.equalsWithEps(Nd4j.zeros(expected.dataType(), expected.shape()), 1e-3), running + " was updated");
            assertClose(expected, ours.getLayer("bn").getParam(running), tolerance, running + " (" + type + ")");
        }
        INDArray x = data(99, type).getFeatures(0);
        assertClose(theirs.outputSingle(x), ours.outputSingle(x), tolerance, "inference output (" + type + ")");
        assertTrue(ours(ours).ownLastPass(), "inference took its own path");
    }

    /**
     * DL4J 1.0.0-M2's BatchNormalization never applies its configured activation; the replacement computes the same
     * function, so leaky ReLU leaves negative outputs unscaled in both.
     */
    @Test
    void theConfiguredActivationIsNotAppliedAsInDl4j() {
        INDArray x = data(3, DataType.DOUBLE).getFeatures(0);
        ComputationGraph identity = graph(new BatchNormalization.Builder().activation(Activation.IDENTITY).build(), DataType.DOUBLE, new NoOp());
        INDArray reference = identity.feedForward(new INDArray[]{x}, true).get("bn");
        assertTrue(reference.minNumber().doubleValue() < -1, "normalised activations well below 0");
        for (boolean ours : new boolean[]{false, true}) {
            ComputationGraph leaky = graph(batchNorm(ours), DataType.DOUBLE, new NoOp());
            leaky.setParams(identity.params());
            assertClose(reference, leaky.feedForward(new INDArray[]{x}, true).get("bn"), 1e-12, ours ? "ours" : "DL4J's");
        }
    }

    @Test
    void whatItDoesNotCoverRunsDl4jsCode() {
        // NHWC activations
        ComputationGraph g = nhwcGraph(true), reference = nhwcGraph(false);
        MultiDataSet d = new MultiDataSet(Nd4j.randn(DataType.DOUBLE, 4, 5, 5, 3), Nd4j.randn(DataType.DOUBLE, 4, 5, 5, 3));
        g.fit(d);
        reference.fit(d);
        assertFalse(ours(g).ownLastPass(), "NHWC");
        assertEquals(reference.params(), g.params(), "NHWC, DL4J's code");
        // rank 2, after a dense layer
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE).graphBuilder()
                .addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nOut(4).build(), "in")
                .addLayer("bn", batchNorm(true), "dense")
                .addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build(), "bn")
                .setOutputs("loss").setInputTypes(InputType.feedForward(3)).build();
        ComputationGraph dense = new ComputationGraph(conf);
        dense.init();
        dense.fit(new MultiDataSet(Nd4j.randn(DataType.DOUBLE, 5, 3), Nd4j.randn(DataType.DOUBLE, 5, 4)));
        assertFalse(ours(dense).ownLastPass(), "rank 2");
    }

    /** in 5x5x3 channels last -[batch norm]-> squared error. */
    private static ComputationGraph nhwcGraph(boolean ours) {
        Layer bn = ours ? new ChannelBatchNormalization.Builder().dataFormat(CNN2DFormat.NHWC).build()
                : new BatchNormalization.Builder().dataFormat(CNN2DFormat.NHWC).build();
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE)
                .updater(new Adam(1e-2)).graphBuilder()
                .addInputs("in")
                .addLayer("bn", bn, "in")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(CNN2DFormat.NHWC)
                        .activation(Activation.IDENTITY).build(), "bn")
                .setOutputs("loss").setInputTypes(InputType.convolutional(5, 5, 3, CNN2DFormat.NHWC)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    @Test
    void theConfigurationSurvivesJson() {
        ComputationGraph g = graph(batchNorm(true), DataType.FLOAT, new Adam(1e-3));
        g.fit(data(5, DataType.FLOAT));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertEquals(g.getConfiguration(), back);
        ComputationGraph rebuilt = new ComputationGraph(back);
        rebuilt.init(g.params().dup(), false);
        ours(rebuilt);
        INDArray x = data(4, DataType.FLOAT).getFeatures(0);
        assertEquals(g.outputSingle(x), rebuilt.outputSingle(x));
    }
}
