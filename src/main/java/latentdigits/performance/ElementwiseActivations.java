package latentdigits.performance;

import latentdigits.util.DirectBuffers;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * ReLU and leaky ReLU, forward and backward, as Java loops over heap copies of float arrays, computing exactly what
 * ND4J's ops compute: {@code x < 0 ? 0 : x} and {@code x < 0 ? a x : x}; backward {@code x > 0 ? e : 0} and
 * {@code x < 0 ? e a : e}. ND4J's leaky ReLU derivative calls a {@code std::function} per element; with the forward
 * op it was a tenth of a CNN VAE minibatch. Any other activation, and arrays that are not contiguous floats, go to
 * the activation's own ND4J code.
 */
public final class ElementwiseActivations {
    private ElementwiseActivations() {
    }

    /** The negative slope a plain ReLU (0) or leaky ReLU computes with, as the float ND4J's ops use; NaN for others. */
    static float slope(IActivation activation) {
        if (activation instanceof ActivationLReLU leaky) return (float) leaky.getAlpha();
        return isPlainRelu(activation) ? 0f : Float.NaN;
    }

    static boolean isPlainRelu(IActivation activation) {
        return activation instanceof ActivationReLU relu && relu.getMax() == null && zeroOrUnset(relu.getThreshold())
                && zeroOrUnset(relu.getNegativeSlope());
    }

    private static boolean zeroOrUnset(Double value) {
        return value == null || value == 0.0;
    }

    /** {@code activation} applied to {@code z} in place (as DL4J's activations work); returns z. */
    static INDArray activate(IActivation activation, INDArray z, boolean training) {
        return activate(activation, z, z, training);
    }

    /**
     * {@code activation(z)} written to {@code out} (same shape and order; out may be z itself), z otherwise kept: for a
     * layer that needs z again in backprop, without first copying z to out as {@code activate(out.assign(z))} would.
     */
    static INDArray activate(IActivation activation, INDArray z, INDArray out, boolean training) {
        float slope = slope(activation);
        if (Float.isNaN(slope) || !floats(z) || !floats(out) || z.ordering() != out.ordering() || !Arrays.equals(z.shape(), out.shape()))
            return activation.getActivation(out == z ? z : out.assign(z), training);
        int n = (int) z.length();
        float[] v = DirectBuffers.read(z, SCRATCH.get().values(n));
        if (activation instanceof ActivationLReLU) leakyRelu(v, n, slope);
        else relu(v, n);
        DirectBuffers.floats(out).put(0, v, 0, n);
        return out;
    }

    /** dL/dz for the pre-activation {@code z} and dL/d(output) {@code epsilon}, written over z (as DL4J's activations do). */
    static INDArray backprop(IActivation activation, INDArray z, INDArray epsilon) {
        float slope = slope(activation);
        if (Float.isNaN(slope) || !floats(z) || epsilon.dataType() != DataType.FLOAT || !Arrays.equals(z.shape(), epsilon.shape()))
            return activation.backprop(z, epsilon).getFirst();
        INDArray e = epsilon.ordering() == z.ordering() && DirectBuffers.contiguous(epsilon) ? epsilon : epsilon.dup(z.ordering());
        int n = (int) z.length();
        Scratch scratch = SCRATCH.get();
        float[] x = DirectBuffers.read(z, scratch.values(n)), g = DirectBuffers.read(e, scratch.gradients(n));
        if (activation instanceof ActivationLReLU) leakyReluBackprop(x, g, n, slope);
        else reluBackprop(x, g, n);
        DirectBuffers.floats(z).put(0, g, 0, n);
        return z;
    }

    /**
     * The heap copies of one thread, kept across calls: a new array per call was a zeroed allocation of up to
     * [minibatch, 784] floats, several times a minibatch.
     */
    private static final class Scratch {
        private float[] values = new float[0], gradients = new float[0];

        float[] values(int n) {
            if (values.length < n) values = new float[n];
            return values;
        }

        float[] gradients(int n) {
            if (gradients.length < n) gradients = new float[n];
            return gradients;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static boolean floats(INDArray x) {
        return x.dataType() == DataType.FLOAT && DirectBuffers.contiguous(x);
    }

    /** ND4J's relu: x < 0 ? 0 : x. */
    static void relu(float[] v, int n) {
        for (int i = 0; i < n; i++) if (v[i] < 0f) v[i] = 0f;
    }

    /**
     * ND4J's lrelu: x < 0 ? a x : x. For 0 <= a <= 1 that is max(x, a x) for every float (-0, infinities and NaN
     * included), a loop without a branch that the JIT turns into vector instructions (8x faster on random signs).
     */
    static void leakyRelu(float[] v, int n, float slope) {
        if (slope >= 0f && slope <= 1f) {
            for (int i = 0; i < n; i++) v[i] = Math.max(v[i], slope * v[i]);
        } else {
            for (int i = 0; i < n; i++) if (v[i] < 0f) v[i] = slope * v[i];
        }
    }

    /** ND4J's relu_bp, into g: x > 0 ? g : 0. */
    static void reluBackprop(float[] x, float[] g, int n) {
        for (int i = 0; i < n; i++) if (!(x[i] > 0f)) g[i] = 0f;
    }

    /**
     * ND4J's lrelu_bp, into g: x < 0 ? g a : g (so g where x is NaN). For 0 <= a <= 1 and x not NaN the factor is
     * max(a, 1 + min(x, 0) 1e38 1e38): 1 for x >= 0 and -0, a for every x < 0 down to the smallest subnormal, which
     * the two products take below -1e31. That is a loop without a branch the JIT vectorises, where a branch on the
     * sign of random pre-activations is mispredicted half the time. A NaN x (a diverged run) would make the factor NaN,
     * so an array with one takes the plain loop.
     */
    static void leakyReluBackprop(float[] x, float[] g, int n, float slope) {
        if (slope >= 0f && slope <= 1f && !anyNaN(x, n)) {
            for (int i = 0; i < n; i++) g[i] = g[i] * Math.max(slope, 1f + Math.min(x[i], 0f) * 1e38f * 1e38f);
        } else {
            for (int i = 0; i < n; i++) if (x[i] < 0f) g[i] = g[i] * slope;
        }
    }

    private static boolean anyNaN(float[] x, int n) {
        for (int i = 0; i < n; i++) if (x[i] != x[i]) return true;
        return false;
    }
}
