package latentdigits.performance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The ziggurat's draws against the standard normal distribution, on a million of them. */
class ZigguratGaussianTest {
    private static final int N = 1_000_000;

    private static double[] draws(long seed) {
        ZigguratGaussian gaussian = new ZigguratGaussian(seed);
        double[] x = new double[N];
        for (int i = 0; i < N; i++) x[i] = gaussian.next();
        return x;
    }

    /** The standard normal CDF, through {@link #erfc}. */
    private static double phi(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    /** The complementary error function by Numerical Recipes' erfcc (relative error below 1.2e-7 everywhere). */
    private static double erfc(double x) {
        double z = Math.abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    @Test
    void momentsAreTheStandardNormals() {
        double[] x = draws(1);
        double mean = Arrays.stream(x).average().orElseThrow();
        double var = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).average().orElseThrow();
        double skew = Arrays.stream(x).map(v -> Math.pow(v - mean, 3)).average().orElseThrow() / Math.pow(var, 1.5);
        double kurt = Arrays.stream(x).map(v -> Math.pow(v - mean, 4)).average().orElseThrow() / (var * var);
        // standard errors on a million draws: mean 0.001, variance 0.0014, skewness 0.0025, kurtosis 0.005
        assertEquals(0, mean, 0.005, "mean");
        assertEquals(1, var, 0.007, "variance");
        assertEquals(0, skew, 0.0125, "skewness");
        assertEquals(3, kurt, 0.025, "kurtosis");
    }

    @Test
    void theDistributionFunctionAndTheTailsAreTheStandardNormals() {
        double[] x = draws(2);
        Arrays.sort(x);
        double d = 0;
        for (int i = 0; i < N; i++) {
            double f = phi(x[i]);
            d = Math.max(d, Math.max(f - (double) i / N, (i + 1.0) / N - f));
        }
        // Kolmogorov-Smirnov: at the 0.1 % level the critical distance is 1.95 / sqrt(N)
        assertTrue(d < 1.95 / Math.sqrt(N), "KS distance " + d);
        // beyond the ziggurat's base layer (r = 3.4426) the tail method takes over: 2 (1 - Phi(r)) = 5.76e-4 of the draws
        long tail = Arrays.stream(x).filter(v -> Math.abs(v) > 3.442619855899).count();
        assertEquals(2 * (1 - phi(3.442619855899)) * N, tail, 5 * Math.sqrt(5.76e-4 * N), "draws in the tails");
        long far = Arrays.stream(x).filter(v -> Math.abs(v) > 4.5).count();
        assertEquals(2 * (1 - phi(4.5)) * N, far, 5 * Math.sqrt(6.8e-6 * N) + 1, "draws beyond 4.5");
        // layer by layer: 64 equal-probability bins of the CDF hold 1/64 of the draws each (chi-squared, 63 degrees of freedom)
        int[] bins = new int[64];
        for (double v : x) bins[Math.min(63, (int) (phi(v) * 64))]++;
        double chi2 = 0;
        for (int b : bins) chi2 += Math.pow(b - N / 64.0, 2) / (N / 64.0);
        assertTrue(chi2 < 110, "chi-squared over 64 equal-probability bins " + chi2 + " (0.1 % critical value ~104)");
    }

    @Test
    void aSeedRepeatsItsDrawsAndAnotherSeedDoesNot() {
        float[] a = new float[1000], b = new float[1000], c = new float[1000];
        new ZigguratGaussian(7).fill(a, 1000);
        new ZigguratGaussian(7).fill(b, 1000);
        new ZigguratGaussian(8).fill(c, 1000);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }
}
