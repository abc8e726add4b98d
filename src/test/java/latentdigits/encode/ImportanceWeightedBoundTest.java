package latentdigits.encode;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The bound's two pieces against values worked out by hand. */
class ImportanceWeightedBoundTest {
    @Test
    void aLogWeightIsTheLikelihoodPlusPriorMinusPosteriorDensity() {
        // x's log-likelihood -10; z = 0.5 drawn as mu + sigma * eps with eps = 1, logvar = -0.5:
        // log N(0.5; 0, 1) - log N(0.5; mu, e^-0.5) = (-0.125) - (-0.5 - (-0.25)) = -0.125 + 0.5 - 0.25 (2 pi cancels)
        assertEquals(-10 - 0.125 + 0.5 - 0.25, ImportanceWeightedBound.logWeight(-10, 0.5 * 0.5, 1 * 1, -0.5), 1e-7);
        // two dimensions add: z = (1, -2), eps = (0, 3), logvar = (0, 2): |z|^2 = 5, |eps|^2 = 9, sum(logvar) = 2
        assertEquals(-3 - 0.5 - 2 + 0 + 4.5 + 0 + 1, ImportanceWeightedBound.logWeight(-3, 1 + 4, 0 + 9, 0 + 2), 1e-7);
    }

    @Test
    void theBoundAveragesWeightsNotLogWeights() {
        assertEquals(Math.log(2), ImportanceWeightedBound.logMeanExp(new double[]{Math.log(1), Math.log(3)}), 1e-12);
        assertEquals(-1000 + Math.log((1 + Math.exp(-2)) / 2), ImportanceWeightedBound.logMeanExp(new double[]{-1000, -1002}), 1e-9,
                "weights of e^-1000 underflow a double; their mean's log does not");
        // k = 1 is the ELBO's one-sample estimate; more samples with the same weights average them: log((e^-5 + e^-7) / 2) > (-5 - 7) / 2
        double iwae2 = ImportanceWeightedBound.logMeanExp(new double[]{-5, -7});
        assertEquals(-5 + Math.log((1 + Math.exp(-2)) / 2), iwae2, 1e-12);
        assertEquals(true, iwae2 > -6, "Jensen: the log of the mean weight is above the mean log weight");
    }
}
