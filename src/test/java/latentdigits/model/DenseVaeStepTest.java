package latentdigits.model;

import latentdigits.data.DigitBlock;
import latentdigits.testing.TestData;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DenseVaeStepTest {
    /**
     * The step outside DL4J's graph trains the MLP VAE exactly as fit() does: after many steps (two minibatch sizes,
     * Adam's moments well away from zero) every parameter, Adam's state, the step count and the random stream are the
     * same to the last bit.
     */
    @Test
    void trainsTheMlpVaeExactlyAsFitDoes() {
        DigitBlock digits = TestData.randomDigits(700, 5);
        VaeNetworks.Spec spec = new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 3, DataType.FLOAT);
        ComputationGraph byFit = VaeModel.create(spec).graph(), byStep = VaeModel.create(spec).graph();
        DenseVaeStep step = DenseVaeStep.of(byStep);
        assertNotNull(step);
        assertTrue(step.updatesInOnePass(), "the update is the one Java pass");

        Nd4j.getRandom().setSeed(99);
        for (int from = 0; from < 700; from += 100) byFit.fit(VaeModel.trainingBatch(digits, from, Math.min(700, from + 70), 2));
        for (int from = 0; from < 700; from += 35) byFit.fit(VaeModel.trainingBatch(digits, from, from + 35, 2));
        double nextByFit = Nd4j.getRandom().nextDouble();

        Nd4j.getRandom().setSeed(99);
        for (int from = 0; from < 700; from += 100) step.fit(VaeModel.trainingBatch(digits, from, Math.min(700, from + 70), 2));
        for (int from = 0; from < 700; from += 35) step.fit(VaeModel.trainingBatch(digits, from, from + 35, 2));

        assertEquals(nextByFit, Nd4j.getRandom().nextDouble(), "the random stream after the steps");
        assertEquals(byFit.getConfiguration().getIterationCount(), byStep.getConfiguration().getIterationCount());
        assertBitsEqual(byFit.params(), byStep.params(), "parameters");
        assertBitsEqual(byFit.getUpdater().getStateViewArray(), byStep.getUpdater().getStateViewArray(), "Adam's moments");
        assertEquals(27, byStep.getConfiguration().getIterationCount());
    }

    @Test
    void onlyDenseFloatVaesHaveTheStep() {
        assertNull(DenseVaeStep.of(VaeModel.create(new VaeNetworks.Spec(new CnnVae(), 2, 1e-3, 3, DataType.FLOAT)).graph()));
        assertNull(DenseVaeStep.of(VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 3, DataType.DOUBLE)).graph()));
        assertNull(DenseVaeStep.of(GanNetworks.discriminator(GanNetworks.Spec.study(2e-4, 0.5, 1))));
    }

    private static void assertBitsEqual(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.toFloatVector(), actual.toFloatVector(), 0f, what);
    }
}
