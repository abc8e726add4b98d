package latentdigits.performance;

import latentdigits.testing.DoublePrecision;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.BiFunction;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** BlasDenseLayer against finite differences and against DL4J's own DenseLayer, which it replaces. */
@ExtendWith(DoublePrecision.class)
class BlasDenseLayerTest {

    /** The activations this project's networks use. */
    enum Act {
        IDENTITY(Activation.IDENTITY.getActivationFunction()),
        RELU(Activation.RELU.getActivationFunction()),
        LEAKY_RELU(new ActivationLReLU(0.2)),
        TANH(Activation.TANH.getActivationFunction()),
        RATIONAL_TANH(new RationalTanh()),
        SIGMOID(Activation.SIGMOID.getActivationFunction());

        final IActivation fn;

        Act(IActivation fn) {
            this.fn = fn;
        }
    }

    /** input 7 -> dense 5 (activation under test) -> dense 3 (identity) -> squared error. */
    private static ComputationGraph graph(BiFunction<Integer, IActivation, FeedForwardLayer> dense, IActivation activation, IUpdater updater) {
        return graph(dense, activation, updater, DataType.DOUBLE);
    }

    private static ComputationGraph graph(BiFunction<Integer, IActivation, FeedForwardLayer> dense, IActivation activation, IUpdater updater, DataType type) {
        // biases start at 0.1: a ReLU unit exactly on its kink would make finite differences wrong
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(type)
                .updater(updater).weightInit(WeightInit.XAVIER).biasInit(0.1).graphBuilder()
                .addInputs("in")
                .addLayer("hidden", dense.apply(5, activation), "in")
                .addLayer("out", dense.apply(3, Activation.IDENTITY.getActivationFunction()), "hidden")
                .addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build(), "out")
                .setOutputs("loss").setInputTypes(InputType.feedForward(7)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    private static FeedForwardLayer stock(int units, IActivation activation) {
        return new DenseLayer.Builder().nOut(units).activation(activation).build();
    }

    private static MultiDataSet data(long seed) {
        Nd4j.getRandom().setSeed(seed);
        return new MultiDataSet(Nd4j.randn(DataType.DOUBLE, 6, 7), Nd4j.randn(DataType.DOUBLE, 6, 3));
    }

    @ParameterizedTest
    @EnumSource(Act.class)
    void gradientsMatchFiniteDifferences(Act act) {
        ComputationGraph g = graph(BlasDenseLayer::of, act.fn, new NoOp());
        MultiDataSet d = data(1);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(d.getFeatures()).labels(d.getLabels()).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)),
                "gradient check with " + act);
    }

    @ParameterizedTest
    @EnumSource(Act.class)
    void trainsExactlyAsDl4jsDenseLayer(Act act) {
        ComputationGraph ours = graph(BlasDenseLayer::of, act.fn, new Adam(1e-2));
        ComputationGraph theirs = graph(BlasDenseLayerTest::stock, act.fn, new Adam(1e-2));
        theirs.setParams(ours.params().dup());
        for (int step = 0; step < 5; step++) {
            MultiDataSet d = data(10 + step);
            ours.fit(d);
            theirs.fit(d);
            assertEquals(theirs.score(), ours.score(), 1e-10, "score after step " + step);
            assertTrue(theirs.params().equalsWithEps(ours.params(), 1e-10), "parameters after step " + step + " with " + act);
        }
        INDArray x = data(99).getFeatures(0);
        assertTrue(theirs.outputSingle(x).equalsWithEps(ours.outputSingle(x), 1e-10), "inference output with " + act);
    }

    /**
     * In float, tanh's backprop from the kept output and the Java loops of ReLU and leaky ReLU compute what ND4J's ops
     * do, to the last bit.
     */
    @ParameterizedTest
    @EnumSource(value = Act.class, names = {"TANH", "RATIONAL_TANH", "RELU", "LEAKY_RELU"})
    void stepsAsDl4jsToTheBitInFloat(Act act) {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        ComputationGraph ours = graph(BlasDenseLayer::of, act.fn, new Adam(1e-2), DataType.FLOAT);
        ComputationGraph theirs = graph(BlasDenseLayerTest::stock, act.fn, new Adam(1e-2), DataType.FLOAT);
        theirs.setParams(ours.params().dup());
        for (int step = 0; step < 3; step++) {
            MultiDataSet d = data(20 + step);
            MultiDataSet f = new MultiDataSet(d.getFeatures(0).castTo(DataType.FLOAT), d.getLabels(0).castTo(DataType.FLOAT));
            ours.fit(f);
            theirs.fit(f);
            assertArrayEquals(theirs.params().toFloatVector(), ours.params().toFloatVector(), "parameters after step " + step + " with " + act);
        }
    }

    private static FeedForwardLayer rowMajor(int units, IActivation activation) {
        return BlasDenseLayer.of(units, activation).rowMajor();
    }

    /** A row-major layer hands on C-order arrays, and computes what the column-major one does. */
    @Test
    void aRowMajorLayerLearnsAsDl4jsAndHandsOnRowMajorArrays() {
        ComputationGraph g = graph(BlasDenseLayerTest::rowMajor, Act.LEAKY_RELU.fn, new NoOp());
        MultiDataSet d = data(3);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(d.getFeatures()).labels(d.getLabels()).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)), "gradient check");
        assertEquals('c', g.feedForward(d.getFeatures(), true, false).get("hidden").ordering(), "the output is row-major");
        BlasDenseLayer.Impl hidden = (BlasDenseLayer.Impl) g.getLayer("hidden");
        var none = org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces();
        hidden.setInput(d.getFeatures(0), none);
        hidden.activate(true, none);
        assertEquals('c', hidden.backpropGradient(Nd4j.randn(DataType.DOUBLE, 6, 5), none).getSecond().ordering(), "so is the input gradient");

        ComputationGraph ours = graph(BlasDenseLayerTest::rowMajor, Act.LEAKY_RELU.fn, new Adam(1e-2));
        ComputationGraph theirs = graph(BlasDenseLayerTest::stock, Act.LEAKY_RELU.fn, new Adam(1e-2));
        theirs.setParams(ours.params().dup());
        for (int step = 0; step < 5; step++) {
            MultiDataSet batch = data(30 + step);
            ours.fit(batch);
            theirs.fit(batch);
            assertTrue(theirs.params().equalsWithEps(ours.params(), 1e-10), "parameters after step " + step);
        }
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(ours.getConfiguration().toJson());
        assertEquals(ours.getConfiguration(), back, "the setting survives JSON");
        assertFalse(ComputationGraphConfiguration.fromJson(ours.getConfiguration().toJson().replace("\"rowMajor\" : true,", ""))
                .equals(back), "and a configuration saved without it is column-major");
    }

    @Test
    void trainingUsesTheKeptPreActivation() {
        ComputationGraph g = graph(BlasDenseLayer::of, Act.RELU.fn, new NoOp());
        BlasDenseLayer.Impl hidden = (BlasDenseLayer.Impl) g.getLayer("hidden");
        MultiDataSet d = data(2);
        g.feedForward(d.getFeatures(), true, false);
        assertTrue(hidden.keepsPreActivation(), "a training forward pass keeps z");
        g.setInputs(d.getFeatures());
        g.setLabels(d.getLabels());
        g.computeGradientAndScore();
        assertFalse(hidden.keepsPreActivation(), "backprop used z and let it go");
        g.outputSingle(d.getFeatures(0));
        assertFalse(hidden.keepsPreActivation(), "inference keeps nothing");
    }

    /** Every layout the layer meets: either order, transposed or not, views at an offset, float and double. */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void matrixProductsMatchNd4jsInEveryLayout(DataType type) {
        Nd4j.getRandom().setSeed(8);
        INDArray flat = Nd4j.rand(type, 1, 400);
        INDArray aView = flat.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(7, 7 + 30)).reshape('f', 6, 5);
        INDArray cView = Nd4j.zeros(type, 1, 100).get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(13, 13 + 24)).reshape('f', 6, 4);
        for (char orderA : new char[]{'c', 'f'}) {
            for (char orderB : new char[]{'c', 'f'}) {
                for (boolean transA : new boolean[]{false, true}) {
                    for (boolean transB : new boolean[]{false, true}) {
                        INDArray a = (transA ? Nd4j.rand(type, 5, 6) : Nd4j.rand(type, 6, 5)).dup(orderA);
                        INDArray b = (transB ? Nd4j.rand(type, 4, 5) : Nd4j.rand(type, 5, 4)).dup(orderB);
                        INDArray c = Nd4j.rand(type, 6, 4).dup('f');
                        INDArray expected = c.mul(0.5).addi((transA ? a.transpose() : a).mmul(transB ? b.transpose() : b));
                        assertTrue(Blas.gemm(a, transA, b, transB, c, 0.5), "straight to BLAS");
                        assertTrue(expected.equalsWithEps(c, 1e-5), orderA + "" + orderB + transA + transB);
                    }
                }
            }
        }
        INDArray b = Nd4j.rand(type, 5, 4);
        assertTrue(Blas.gemm(aView, false, b, false, cView, 0.0), "views at an offset go straight to BLAS");
        assertTrue(aView.mmul(b).equalsWithEps(cView, 1e-5));
        INDArray c = Nd4j.zeros(type, 6, 4).dup('c');
        assertTrue(Blas.gemm(aView, false, b, false, c, 0.0), "a row-major result goes straight to BLAS, as its transpose");
        assertTrue(aView.mmul(b).equalsWithEps(c, 1e-5));
    }

    /** in 7 -> dense 5 (trained) -> dense 4 and dense 3, both frozen with backprop (as G's copy of D) -> squared error. */
    private static ComputationGraph frozenOnTop(boolean ours) {
        BiFunction<Integer, IActivation, FeedForwardLayer> dense = ours ? BlasDenseLayer::of : BlasDenseLayerTest::stock;
        FeedForwardLayer d1 = dense.apply(4, Act.LEAKY_RELU.fn), d2 = dense.apply(3, Act.SIGMOID.fn);
        for (FeedForwardLayer frozen : new FeedForwardLayer[]{d1, d2}) {
            frozen.setIUpdater(new NoOp());
            if (frozen instanceof BlasDenseLayer blas) blas.setFrozen(true);
        }
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE)
                .updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).biasInit(0.1).graphBuilder()
                .addInputs("in")
                .addLayer("hidden", dense.apply(5, Act.TANH.fn), "in")
                .addLayer("d1", new FrozenLayerWithBackprop(d1), "hidden")
                .addLayer("d2", new FrozenLayerWithBackprop(d2), "d1")
                .addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build(), "d2")
                .setOutputs("loss").setInputTypes(InputType.feedForward(7)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /**
     * Frozen inside FrozenLayerWithBackprop, the layer passes the gradient on from the pre-activation its forward pass
     * kept (the wrapper runs it with training false) and computes no gradient of its own: the trained layer below
     * learns as under DL4J's frozen DenseLayer, and the frozen ones do not move.
     */
    @Test
    void aFrozenLayerPassesGradientsOnAsDl4jsAndStaysPut() {
        ComputationGraph ours = frozenOnTop(true), theirs = frozenOnTop(false);
        theirs.setParams(ours.params().dup());
        INDArray frozenBefore = ours.getLayer("d1").params().dup();
        for (int step = 0; step < 5; step++) {
            MultiDataSet d = data(30 + step);
            ours.fit(d);
            theirs.fit(d);
            assertEquals(theirs.score(), ours.score(), 1e-10, "score after step " + step);
            assertTrue(theirs.params().equalsWithEps(ours.params(), 1e-10), "parameters after step " + step);
        }
        assertEquals(frozenBefore, ours.getLayer("d1").params(), "a frozen layer does not move");
        ours.feedForward(new INDArray[]{data(40).getFeatures(0)}, true, false);
        BlasDenseLayer.Impl d1 = (BlasDenseLayer.Impl) ((org.deeplearning4j.nn.layers.FrozenLayerWithBackprop) ours.getLayer("d1")).getInsideLayer();
        assertTrue(d1.keepsPreActivation(), "run with training false inside a training pass, the frozen layer kept z");
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(ours.getConfiguration().toJson());
        assertEquals(ours.getConfiguration(), back, "frozen survives JSON");
    }

    @Test
    void theConfigurationSurvivesJson() {
        ComputationGraph g = graph(BlasDenseLayer::of, Act.LEAKY_RELU.fn, new Adam(1e-3));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertEquals(g.getConfiguration(), back);
        ComputationGraph rebuilt = new ComputationGraph(back);
        rebuilt.init(g.params().dup(), false);
        assertInstanceOf(BlasDenseLayer.Impl.class, rebuilt.getLayer("hidden"));
        INDArray x = data(3).getFeatures(0);
        assertTrue(g.outputSingle(x).equalsWithEps(rebuilt.outputSingle(x), 1e-12));
    }

    @Test
    void dropoutFallsBackToDl4jsCode() {
        BiFunction<Integer, IActivation, FeedForwardLayer> withDropout = (n, a) -> {
            BlasDenseLayer l = BlasDenseLayer.of(n, a);
            l.setIDropout(new Dropout(0.5));
            return l;
        };
        ComputationGraph g = graph(withDropout, Act.TANH.fn, new NoOp());
        MultiDataSet d = data(4);
        Nd4j.getRandom().setSeed(7);
        g.fit(d);
        assertTrue(Double.isFinite(g.score()));
        INDArray x = d.getFeatures(0);
        INDArray trained1 = g.feedForward(x, true).get("hidden"), trained2 = g.feedForward(x, true).get("hidden");
        assertFalse(trained1.equalsWithEps(trained2, 1e-12), "dropout applied in training");
        assertTrue(g.outputSingle(x).equalsWithEps(g.outputSingle(x), 0), "and not in inference");
    }
}
