package latentdigits.score;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FrechetDistanceTest {
    private static FrechetDistance.Gaussian gaussian(double[] mean, double[] diagonal) {
        double[][] cov = new double[mean.length][mean.length];
        for (int i = 0; i < mean.length; i++) cov[i][i] = diagonal[i];
        return new FrechetDistance.Gaussian(mean, cov);
    }

    @Test
    void matchesTheClosedFormForDiagonalGaussians() {
        // means differ by (3, 4): 25; variances 4 vs 1 in both dimensions: (2 - 1)^2 * 2 = 2
        assertEquals(27.0, FrechetDistance.between(gaussian(new double[]{0, 0}, new double[]{4, 4}),
                gaussian(new double[]{3, 4}, new double[]{1, 1})), 1e-9);
        assertEquals(0.0, FrechetDistance.between(gaussian(new double[]{1, 2, 3}, new double[]{1, 2, 3}),
                gaussian(new double[]{1, 2, 3}, new double[]{1, 2, 3})), 1e-9);
    }

    @Test
    void isZeroForTheSameSampleAndSymmetric() {
        Random random = new Random(3);
        double[][] a = new double[500][6], b = new double[400][6];
        for (double[] row : a) for (int j = 0; j < 6; j++) row[j] = random.nextGaussian() + j * 0.1 * row[0];
        for (double[] row : b) for (int j = 0; j < 6; j++) row[j] = 2 * random.nextGaussian() + 1;
        FrechetDistance.Gaussian ga = FrechetDistance.Gaussian.of(a), gb = FrechetDistance.Gaussian.of(b);
        assertEquals(0.0, FrechetDistance.between(ga, ga), 1e-8);
        double ab = FrechetDistance.between(ga, gb);
        assertEquals(ab, FrechetDistance.between(gb, ga), 1e-8);
        assertEquals(6 * 1 + 6 * 1, ab, 1.5, "means 1 apart in 6 dims (6) + standard deviations 1 vs 2 (6)");
    }
}
