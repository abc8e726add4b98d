package latentdigits.model;

import latentdigits.data.DigitBlock;
import latentdigits.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class VaeScorerTest {
    /**
     * Scoring on several threads gives one thread's numbers to the last bit, and leaves the calling thread's random
     * stream where one thread's pass leaves it (the next epoch's scores and a checkpoint's random state depend on it).
     */
    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn"})
    void severalThreadsScoreAsOneThreadInTurn(String arch) {
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(VaeArchitecture.named(arch, "--arch"), 2, 1e-3, 7, DataType.FLOAT));
        DigitBlock sample = TestData.randomDigits(230, 11), validation = TestData.randomDigits(130, 12);
        for (int i = 0; i < 2; i++) vae.graph().fit(VaeModel.trainingBatch(sample, 0, 100, 2)); // parameters away from their start

        Nd4j.getRandom().setSeed(42);
        VaeModel.LossSums train = vae.lossSums(sample, 50), val = vae.lossSums(validation, 50);
        double next = Nd4j.getRandom().nextDouble();

        try (VaeScorer scorer = new VaeScorer(vae, 50, 3)) {
            for (int round = 0; round < 2; round++) { // the second round scores with copies made in the first
                Nd4j.getRandom().setSeed(42);
                VaeModel.LossSums[] sums = scorer.lossSums(sample, validation);
                assertEquals(next, Nd4j.getRandom().nextDouble(), "the random stream after scoring");
                assertEquals(train.xent, sums[0].xent, 0.0);
                assertEquals(train.kl, sums[0].kl, 0.0);
                assertEquals(train.n, sums[0].n);
                assertEquals(val.xent, sums[1].xent, 0.0);
                assertEquals(val.kl, sums[1].kl, 0.0);
                assertEquals(val.n, sums[1].n);
            }
            // the copies follow the model's parameters
            vae.graph().fit(VaeModel.trainingBatch(sample, 100, 200, 2));
            Nd4j.getRandom().setSeed(42);
            scorer.lossSums(sample); // the stream moves on as a one-thread pass over the sample would
            VaeModel.LossSums[] after = scorer.lossSums(validation);
            Nd4j.getRandom().setSeed(42);
            vae.lossSums(sample, 50);
            VaeModel.LossSums expected = vae.lossSums(validation, 50);
            assertEquals(expected.xent, after[0].xent, 0.0);
            assertEquals(expected.kl, after[0].kl, 0.0);
            assertNotEquals(val.xent, expected.xent, "one more step changes the validation loss");
        }
    }
}
