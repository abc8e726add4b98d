package latentdigits.performance;

import java.util.SplittableRandom;

/**
 * Standard normal numbers by Marsaglia and Tsang's ziggurat (J. Stat. Softw. 5(8), 2000) with 128 layers: a random
 * 64-bit word picks a layer from its low bits and a candidate from its high 32 (separate bits, so the layer and the
 * value are not correlated, Doornik's remedy to the original's one 32-bit word); 98.8 % of candidates are accepted by a
 * single comparison, the rest by the exact test against the density, and the tail beyond r = 3.44262 by Marsaglia's
 * exponential method.
 * <p>
 * Why: the GAN draws 2 x 50 x 150 normals a step; ND4J's Gaussian op (Box-Muller with a log, a sine and a cosine per
 * pair) was 8-12 % of a step (docs/experiments/speed.md).
 */
public final class ZigguratGaussian {
    private static final int LAYERS = 128;
    private static final double R = 3.442619855899;
    /** Area of each layer (and of the base layer with the tail). */
    private static final double V = 9.91256303526217e-3;
    private static final double TWO_31 = 2147483648.0;
    private static final long[] K = new long[LAYERS];
    private static final double[] W = new double[LAYERS], F = new double[LAYERS];

    static {
        double d = R, t = d, q = V / Math.exp(-0.5 * d * d);
        K[0] = (long) ((d / q) * TWO_31);
        K[1] = 0;
        W[0] = q / TWO_31;
        W[LAYERS - 1] = d / TWO_31;
        F[0] = 1.0;
        F[LAYERS - 1] = Math.exp(-0.5 * d * d);
        for (int i = LAYERS - 2; i >= 1; i--) {
            d = Math.sqrt(-2.0 * Math.log(V / d + Math.exp(-0.5 * d * d)));
            K[i + 1] = (long) ((d / t) * TWO_31);
            t = d;
            F[i] = Math.exp(-0.5 * d * d);
            W[i] = d / TWO_31;
        }
    }

    private final SplittableRandom random;

    public ZigguratGaussian(long seed) {
        random = new SplittableRandom(seed);
    }

    /** Fills {@code out[0, n)} with independent N(0, 1) draws, as floats. */
    public void fill(float[] out, int n) {
        for (int i = 0; i < n; i++) out[i] = (float) next();
    }

    public double next() {
        long bits = random.nextLong();
        int layer = (int) bits & (LAYERS - 1);
        int candidate = (int) (bits >>> 32);
        if (Math.abs((long) candidate) < K[layer]) return candidate * W[layer];
        return slow(candidate, layer);
    }

    /** A candidate outside its layer's rectangle: the tail (layer 0) or the wedge under the density. */
    private double slow(int candidate, int layer) {
        while (true) {
            double x = candidate * W[layer];
            if (layer == 0) {
                double tail, y;
                do {
                    tail = -Math.log(uniform()) / R;
                    y = -Math.log(uniform());
                } while (y + y < tail * tail);
                return candidate > 0 ? R + tail : -R - tail;
            }
            if (F[layer] + uniform() * (F[layer - 1] - F[layer]) < Math.exp(-0.5 * x * x)) return x;
            long bits = random.nextLong();
            layer = (int) bits & (LAYERS - 1);
            candidate = (int) (bits >>> 32);
            if (Math.abs((long) candidate) < K[layer]) return candidate * W[layer];
        }
    }

    /** Uniform in (0, 1]: never 0, whose log the tail would take. */
    private double uniform() {
        return 1.0 - random.nextDouble();
    }
}
