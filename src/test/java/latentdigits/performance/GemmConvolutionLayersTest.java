package latentdigits.performance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import latentdigits.testing.DoublePrecision;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * GemmConvolutionLayer and GemmDeconvolutionLayer against finite differences and against DL4J's ConvolutionLayer and
 * Deconvolution2D, which they replace: the CNN VAE's shapes in small (kernel 4 stride 2 padding 1 down, kernel 2
 * stride 2 up), behind a DL4J convolution so that the gradient they pass back is checked too.
 */
@ExtendWith(DoublePrecision.class)
class GemmConvolutionLayersTest {
    private static final IActivation LEAKY = new ActivationLReLU(0.2);

    /** in 8x8x2 -[DL4J conv 1x1]-> 8x8x3 -[down 4/2/1, leaky]-> 4x4x4 -[up 2/2, identity]-> 8x8x2 -> squared error. */
    private static ComputationGraph graph(boolean ours, DataType type, IUpdater updater) {
        Layer down = ours ? GemmConvolutionLayer.of(4, 2, 1, 4, LEAKY)
                : new ConvolutionLayer.Builder(new int[]{4, 4}, new int[]{2, 2}, new int[]{1, 1}).nOut(4).activation(LEAKY).build();
        Layer up = ours ? GemmDeconvolutionLayer.of(2, 2, Activation.IDENTITY.getActivationFunction())
                : new Deconvolution2D.Builder(new int[]{2, 2}, new int[]{2, 2}, new int[]{0, 0}).nOut(2).activation(Activation.IDENTITY).build();
        // biases away from 0: a leaky unit exactly on its kink would make finite differences wrong
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(type)
                .updater(updater).weightInit(WeightInit.XAVIER).biasInit(0.1).graphBuilder()
                .addInputs("in")
                .addLayer("pre", new ConvolutionLayer.Builder(1, 1).nOut(3).activation(Activation.TANH).build(), "in")
                .addLayer("down", down, "pre")
                .addLayer("up", up, "down")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build(), "up")
                .setOutputs("loss").setInputTypes(InputType.convolutional(8, 8, 2)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    private static MultiDataSet data(long seed, DataType type) {
        Nd4j.getRandom().setSeed(seed);
        return new MultiDataSet(Nd4j.randn(type, 5, 2, 8, 8), Nd4j.randn(type, 5, 2, 8, 8));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ComputationGraph g = graph(true, DataType.DOUBLE, new NoOp());
        MultiDataSet d = data(1, DataType.DOUBLE);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                        .inputs(d.getFeatures()).labels(d.getLabels()).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)),
                "gradient check of the lowered convolution and transposed convolution");
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void trainsAsDl4jsConvolutionLayers(DataType type) {
        double tolerance = type == DataType.DOUBLE ? 1e-10 : 2e-4;
        ComputationGraph ours = graph(true, type, new Adam(1e-2));
        ComputationGraph theirs = graph(false, type, new Adam(1e-2));
        assertInstanceOf(GemmConvolutionLayer.Impl.class, ours.getLayer("down"));
        assertInstanceOf(GemmDeconvolutionLayer.Impl.class, ours.getLayer("up"));
        assertEquals(theirs.params(), ours.params(), "the same parameters from the same seed (same layout and initialisation)");
        for (int step = 0; step < 5; step++) {
            MultiDataSet d = data(10 + step, type);
            ours.fit(d);
            theirs.fit(d);
            assertEquals(theirs.score(), ours.score(), tolerance * Math.max(1, Math.abs(theirs.score())), "score after step " + step);
            assertTrue(theirs.params().equalsWithEps(ours.params(), tolerance), "parameters after step " + step + " (" + type + ")");
        }
        assertTrue(((GemmConvolutionLayer.Impl) ours.getLayer("down")).loweredLastPass(), "the convolution took its own path");
        assertTrue(((GemmDeconvolutionLayer.Impl) ours.getLayer("up")).loweredLastPass(), "the transposed convolution took its own path");
        INDArray x = data(99, type).getFeatures(0);
        assertTrue(theirs.outputSingle(x).equalsWithEps(ours.outputSingle(x), tolerance), "inference output (" + type + ")");
    }

    @Test
    void theConfigurationSurvivesJson() {
        ComputationGraph g = graph(true, DataType.FLOAT, new Adam(1e-3));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertEquals(g.getConfiguration(), back);
        ComputationGraph rebuilt = new ComputationGraph(back);
        rebuilt.init(g.params().dup(), false);
        assertInstanceOf(GemmConvolutionLayer.Impl.class, rebuilt.getLayer("down"));
        assertInstanceOf(GemmDeconvolutionLayer.Impl.class, rebuilt.getLayer("up"));
        INDArray x = data(4, DataType.FLOAT).getFeatures(0);
        assertEquals(g.outputSingle(x), rebuilt.outputSingle(x));
    }

    /** in 8x8x2 -[down 4/2/1, leaky, input gradient on or off]-> 4x4x4 -[up 2/2]-> 8x8x2 -> squared error. */
    private static ComputationGraph firstLayerGraph(boolean inputGradient) {
        GemmConvolutionLayer down = GemmConvolutionLayer.of(4, 2, 1, 4, LEAKY);
        if (!inputGradient) down.withoutInputGradient();
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).biasInit(0.1).graphBuilder()
                .addInputs("in")
                .addLayer("down", down, "in")
                .addLayer("up", GemmDeconvolutionLayer.of(2, 2, Activation.IDENTITY.getActivationFunction()), "down")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build(), "up")
                .setOutputs("loss").setInputTypes(InputType.convolutional(8, 8, 2)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    @Test
    void aFirstLayerWithoutItsInputGradientLearnsTheSameAndPassesBackZeros() {
        ComputationGraph with = firstLayerGraph(true), without = firstLayerGraph(false);
        for (int step = 0; step < 4; step++) {
            MultiDataSet d = data(20 + step, DataType.FLOAT);
            with.fit(d);
            without.fit(d);
            assertEquals(with.params(), without.params(), "parameters after step " + step);
        }
        assertTrue(((GemmConvolutionLayer.Impl) without.getLayer("down")).loweredLastPass(), "the convolution took its own path");
        INDArray x = data(30, DataType.FLOAT).getFeatures(0), epsilon = Nd4j.randn(DataType.FLOAT, 5, 4, 4, 4);
        assertTrue(inputGradient(with, x, epsilon).amaxNumber().doubleValue() > 0, "with it, the input gradient is computed");
        assertEquals(Nd4j.zeros(DataType.FLOAT, 5, 2, 8, 8), inputGradient(without, x, epsilon), "without it, zeros");
    }

    private static INDArray inputGradient(ComputationGraph g, INDArray x, INDArray epsilon) {
        org.deeplearning4j.nn.api.Layer down = g.getLayer("down");
        LayerWorkspaceMgr none = LayerWorkspaceMgr.noWorkspaces();
        down.setInput(x, none);
        down.activate(true, none);
        return down.backpropGradient(epsilon, none).getSecond();
    }

    @Test
    void theInputGradientSettingSurvivesJsonAndIsOnWhereNotSaved() {
        ComputationGraphConfiguration without = firstLayerGraph(false).getConfiguration();
        String json = without.toJson();
        assertTrue(json.contains("\"inputGradient\" : false"), json);
        GemmConvolutionLayer back = (GemmConvolutionLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex)
                ComputationGraphConfiguration.fromJson(json).getVertices().get("down")).getLayerConf().getLayer();
        assertTrue(!back.isInputGradient(), "off after JSON");
        String older = json.replace("\"inputGradient\" : false,", "");
        GemmConvolutionLayer old = (GemmConvolutionLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex)
                ComputationGraphConfiguration.fromJson(older).getVertices().get("down")).getLayerConf().getLayer();
        assertTrue(!older.contains("inputGradient") && old.isInputGradient(), "a configuration saved before the setting computes it");
    }

    @Test
    void anUpsamplingWhoseKernelIsNotItsStrideIsRefused() {
        var overlapping = new GemmDeconvolutionLayer.Builder(new int[]{3, 3}, new int[]{2, 2}, new int[]{0, 0});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, overlapping::build);
        assertTrue(e.getMessage().contains("found kernel [3, 3], stride [2, 2]"), e.getMessage());
    }
}
