package latentdigits.performance;

import latentdigits.model.VaeModel;
import latentdigits.testing.TestData;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeNetworks;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlushToZeroAdamTest {
    private static boolean subnormal(float f) {
        return f != 0 && Math.abs(f) < Float.MIN_NORMAL;
    }

    private static int countSubnormals(INDArray a) {
        int n = 0;
        for (float f : a.toFloatVector()) if (subnormal(f)) n++;
        return n;
    }

    @Test
    void stepsExactlyAsAdamAndLeavesNoSubnormalMoment() {
        int n = 1000;
        Random random = new Random(7);
        float[] state = new float[2 * n], gradient = new float[n];
        for (int i = 0; i < n; i++) {
            // a third of the weights had no gradient this step and a first moment just above the subnormal range,
            // which beta1 = 0.9 takes below it; a tenth start subnormal already
            boolean idle = i % 3 == 0;
            state[i] = idle ? 1.25e-38f : i % 10 == 1 ? 3e-40f : (float) random.nextGaussian() * 1e-3f; // m
            state[n + i] = (float) Math.abs(random.nextGaussian()) * 1e-6f; // v
            gradient[i] = idle ? 0f : (float) random.nextGaussian() * 1e-2f;
        }
        INDArray stockState = Nd4j.createFromArray(state).reshape(1, 2 * n), ourState = stockState.dup();
        INDArray stockUpdate = Nd4j.createFromArray(gradient).reshape(1, n), ourUpdate = stockUpdate.dup();

        new Adam(1e-3).instantiate(stockState, false).applyUpdater(stockUpdate, 5, 0);
        GradientUpdater ours = new FlushToZeroAdam(1e-3).instantiate(ourState, false);
        assertInstanceOf(FlushToZeroAdam.Updater.class, ours);
        ours.applyUpdater(ourUpdate, 5, 0);

        assertTrue(countSubnormals(stockState) > n / 3, "stock Adam leaves subnormal moments: " + countSubnormals(stockState));
        assertEquals(0, countSubnormals(ourState));
        assertArrayEquals(stockUpdate.toFloatVector(), ourUpdate.toFloatVector(), "the step itself is Adam's, bit for bit");
        float[] stock = stockState.toFloatVector(), flushed = ourState.toFloatVector();
        for (int i = 0; i < 2 * n; i++)
            assertEquals(subnormal(stock[i]) ? 0f : stock[i], flushed[i], "state element " + i);
    }

    /** The bias corrections depend on the step count: the step is ND4J's bit for bit at every count a run reaches. */
    @Test
    void theStepIsAdamsBitForBitAtEveryStepCount() {
        int n = 64;
        Random random = new Random(3);
        float[] state = new float[2 * n], gradient = new float[n];
        for (int i = 0; i < n; i++) {
            state[i] = (float) random.nextGaussian() * 1e-3f;
            state[n + i] = (float) Math.abs(random.nextGaussian()) * 1e-5f;
            gradient[i] = (float) random.nextGaussian() * 1e-2f;
        }
        for (int iteration = 0; iteration < 30_000; iteration += 7) {
            INDArray stockState = Nd4j.createFromArray(state).reshape(1, 2 * n), ourState = stockState.dup();
            INDArray stockUpdate = Nd4j.createFromArray(gradient).reshape(1, n), ourUpdate = stockUpdate.dup();
            new Adam(1e-3, 0.5, 0.999, 1e-8).instantiate(stockState, false).applyUpdater(stockUpdate, iteration, 0);
            new FlushToZeroAdam(1e-3, 0.5, 0.999, 1e-8).instantiate(ourState, false).applyUpdater(ourUpdate, iteration, 0);
            assertArrayEquals(stockUpdate.toFloatVector(), ourUpdate.toFloatVector(), "update at step count " + iteration);
            new Adam(1e-3).instantiate(stockState, false).applyUpdater(stockUpdate, iteration, 0);
            new FlushToZeroAdam(1e-3).instantiate(ourState, false).applyUpdater(ourUpdate, iteration, 0);
            assertArrayEquals(stockUpdate.toFloatVector(), ourUpdate.toFloatVector(), "update at step count " + iteration + " (beta1 0.9)");
        }
    }

    @Test
    void everyNetworkTrainsWithItAndKeepsItThroughJson() {
        ComputationGraph vae = VaeNetworks.full(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 1, DataType.FLOAT));
        ComputationGraphConfiguration conf = vae.getConfiguration();
        int trained = 0;
        for (var vertex : conf.getVertices().values())
            if (vertex instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer layer && layer.getIUpdater() != null) {
                assertInstanceOf(FlushToZeroAdam.class, layer.getIUpdater(), lv.getLayerConf().getLayer().getLayerName());
                trained++;
            }
        assertTrue(trained >= 6, "layers with an updater: " + trained);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        ComputationGraph restored = new ComputationGraph(back);
        restored.init();
        for (UpdaterBlock block : restored.getUpdater().getUpdaterBlocks())
            assertInstanceOf(FlushToZeroAdam.Updater.class, block.getGradientUpdater());

        // a network whose first moments are subnormal has none left after one minibatch
        INDArray state = restored.getUpdater().getStateViewArray();
        long half = state.length() / 2;
        for (long i = 0; i < half; i += 2) state.putScalar(0, i, 1e-39f);
        assertTrue(countSubnormals(state) > 0);
        restored.fit(VaeModel.trainingBatch(TestData.randomDigits(50, 3), 0, 50, 1));
        assertEquals(0, countSubnormals(restored.getUpdater().getStateViewArray()));
    }

    @Test
    void cloneAndEqualityKeepTheKind() {
        FlushToZeroAdam a = new FlushToZeroAdam(2e-4, 0.5, 0.999, 1e-8);
        assertInstanceOf(FlushToZeroAdam.class, a.clone());
        assertEquals(a, a.clone());
        assertFalse(a.equals(new Adam(2e-4, 0.5, 0.999, 1e-8)));
        assertFalse(new Adam(2e-4, 0.5, 0.999, 1e-8).equals(a));
        assertTrue(a.toString().startsWith("FlushToZeroAdam(learningRate=2.0E-4"), a.toString());
    }
}
