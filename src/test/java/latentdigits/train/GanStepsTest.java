package latentdigits.train;

import latentdigits.data.DigitBlock;
import latentdigits.model.DenseGan;
import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import latentdigits.testing.TestData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GanStepsTest {
    @Test
    void labelNoiseStaysWithinItsBounds() {
        INDArray real = GanSteps.realLabels(2000, 0.1), fake = GanSteps.fakeLabels(2000, 0.1);
        assertTrue(real.minNumber().doubleValue() >= 0.9 && real.maxNumber().doubleValue() <= 1.0);
        assertTrue(fake.minNumber().doubleValue() >= 0.0 && fake.maxNumber().doubleValue() <= 0.1);
        assertTrue(real.stdNumber().doubleValue() > 0.02, "labels are noisy, not constant");
        assertEquals(1.0, GanSteps.realLabels(10, 0).minNumber().doubleValue(), 0);
        assertEquals(0.0, GanSteps.fakeLabels(10, 0).maxNumber().doubleValue(), 0);
    }

    /**
     * The passes outside DL4J's graphs train the study's GAN exactly as the graphs' own do: after many steps (two
     * minibatch sizes) both players' parameters, their Adam states, their step counts and the random stream agree in
     * every value.
     */
    @Test
    void theDensePassesTrainTheGanExactlyAsTheGraphsDo() {
        DigitBlock digits = TestData.randomDigits(600, 8);
        GanNetworks.Spec spec = GanNetworks.Spec.study(1e-3, 0.5, 21);
        GanModel byGraphs = GanModel.create(spec), byDense = GanModel.create(spec);
        GanSteps.LabelNoise noise = new GanSteps.LabelNoise(0.3, 0.1);
        assertNotNull(DenseGan.of(byDense), "the study's GAN has the dense passes");
        assertTrue(DenseGan.of(byDense).updatesInOnePass(), "both updates are the one Java pass");
        GanSteps graphs = new GanSteps(byGraphs, noise, false), dense = new GanSteps(byDense, noise, true);
        double[] next = new double[2];
        for (GanSteps steps : new GanSteps[]{graphs, dense}) {
            Nd4j.getRandom().setSeed(4);
            for (int from = 0; from < 600; from += 50) steps.step(GanModel.realImages(digits, from, from + 50));
            for (int from = 0; from < 600; from += 30) steps.step(GanModel.realImages(digits, from, from + 30));
            next[steps == graphs ? 0 : 1] = Nd4j.getRandom().nextDouble();
        }
        assertEquals(next[0], next[1], "the random stream after the steps");
        for (String player : new String[]{"D", "G"}) {
            var a = player.equals("D") ? byGraphs.discriminator() : byGraphs.generator();
            var b = player.equals("D") ? byDense.discriminator() : byDense.generator();
            assertEquals(32, b.getConfiguration().getIterationCount(), player + "'s steps");
            assertEquals(a.getConfiguration().getIterationCount(), b.getConfiguration().getIterationCount(), player + "'s steps");
            assertArrayEquals(a.params().toFloatVector(), b.params().toFloatVector(), 0f, player + "'s parameters");
            assertArrayEquals(a.getUpdater().getStateViewArray().toFloatVector(), b.getUpdater().getStateViewArray().toFloatVector(), 0f,
                    player + "'s Adam state");
        }
    }
}
