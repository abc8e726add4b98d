package latentdigits.performance;

import java.nio.FloatBuffer;

import latentdigits.util.DirectBuffers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;
import java.util.Map;

/**
 * Adam whose moment estimates never hold subnormal numbers: after each step, |m| and |v| below the smallest normal
 * number of their type become 0 — what a CPU's flush-to-zero mode does, which neither the JVM nor ND4J can switch on.
 * <p>
 * Why: a weight whose gradient is 0 for a while (a first-layer weight of a pixel that is rarely inked, the weights of a
 * unit that stopped firing) keeps multiplying its first moment by beta1 = 0.9, which passes through the subnormal
 * range (1.2e-38 down to 1.4e-45) for ~150 steps before it reaches 0. On x86 every arithmetic operation on a
 * subnormal float takes a microcode assist of ~100 cycles. In the MLP VAE about a tenth of the first moments were
 * subnormal at any time, more as training went on, and epochs slowed down over a run; with the flush they do not
 * (docs/experiments/speed.md). A value below 1.2e-38
 * changes Adam's step m / (sqrt(v) + 1e-8) by less than 1e-30, so the training is otherwise Adam's, step for step.
 */
public class FlushToZeroAdam extends Adam {

    /** For Jackson, which rebuilds the configuration from a saved network's JSON. */
    public FlushToZeroAdam() {
    }

    public FlushToZeroAdam(double learningRate) {
        super(learningRate);
    }

    public FlushToZeroAdam(double learningRate, double beta1, double beta2, double epsilon) {
        super(learningRate, beta1, beta2, epsilon);
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        Updater updater = new Updater(this);
        long[] gradientShape = Arrays.copyOf(viewArray.shape(), viewArray.rank());
        gradientShape[1] /= 2; // the view holds m and v side by side, as Adam's
        updater.setStateViewArray(viewArray, gradientShape, viewArray.ordering(), initializeViewArray);
        return updater;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        Updater updater = new Updater(this);
        updater.setState(updaterState, initializeStateArrays);
        return updater;
    }

    /** DL4J clones the updater into every layer's configuration; Adam's clone() would make a plain Adam. */
    @Override
    public FlushToZeroAdam clone() {
        FlushToZeroAdam copy = new FlushToZeroAdam(getLearningRate(), getBeta1(), getBeta2(), getEpsilon());
        copy.setLearningRateSchedule(getLearningRateSchedule() == null ? null : getLearningRateSchedule().clone());
        return copy;
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof FlushToZeroAdam;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlushToZeroAdam && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + 1;
    }

    @Override
    public String toString() {
        return "FlushToZeroAdam" + super.toString().substring("Adam".length());
    }

    /** Sets every element of {@code values} whose magnitude is below the smallest normal number of its type to 0. */
    static void flushSubnormals(INDArray values) {
        double smallestNormal;
        if (values.dataType() == DataType.FLOAT) smallestNormal = Float.MIN_NORMAL;
        else if (values.dataType() == DataType.DOUBLE) smallestNormal = Double.MIN_NORMAL;
        else return; // half precision has its own range; nothing here trains in it
        BooleanIndexing.replaceWhere(values, 0.0, Conditions.absLessThan(smallestNormal));
    }

    static final class Updater extends AdamUpdater {
        private final FlushToZeroAdam config;
        /** The gradient and the moments on the heap, reused step after step (an updater serves one network on one thread). */
        private float[] g, mv, vv, pv;

        Updater(FlushToZeroAdam config) {
            super(config);
            this.config = config;
        }

        /**
         * Adam's step as ND4J's {@code adam_updater} op computes it, and the flush, in one pass over the gradient and
         * the moments for float arrays: the op, and the two passes of the flush after it, were a tenth of a GAN step
         * (docs/experiments/speed.md).
         */
        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            INDArray m = getM(), v = getV();
            boolean floats = gradient.dataType() == DataType.FLOAT && m.dataType() == DataType.FLOAT && v.dataType() == DataType.FLOAT;
            if (!floats || !DirectBuffers.contiguous(gradient) || !DirectBuffers.contiguous(m) || !DirectBuffers.contiguous(v)) {
                super.applyUpdater(gradient, iteration, epoch);
                flushSubnormals(m);
                flushSubnormals(v);
                return;
            }
            heapArrays((int) gradient.length());
            DirectBuffers.read(gradient, g);
            DirectBuffers.read(m, mv);
            DirectBuffers.read(v, vv);
            step(g, mv, vv, config.getLearningRate(iteration, epoch), config.getBeta1(), config.getBeta2(), config.getEpsilon(), iteration);
            DirectBuffers.write(g, gradient);
            DirectBuffers.write(mv, m);
            DirectBuffers.write(vv, v);
        }

        /**
         * The step straight into the parameters, for a caller that holds the network's flat gradient and parameters
         * ({@link OptimizerStep}): elements [from, from + this block's length) of {@code params} take Adam's step for
         * the gradient {@code gradient / divisor} (DL4J divides the gradient by the minibatch size before the updater),
         * exactly as {@link #applyUpdater} and then {@code params -= update} would; the moments are updated. Only for an
         * updater that {@link #holdsFloatMoments}.
         */
        void applyTo(FloatBuffer gradient, FloatBuffer params, int from, float divisor, int iteration, int epoch) {
            INDArray m = getM(), v = getV();
            int n = (int) m.length();
            heapArrays(n);
            DirectBuffers.read(m, mv);
            DirectBuffers.read(v, vv);
            // the block's own elements at offset 0: the JIT vectorizes the step's loop only when its arrays share the index
            gradient.get(from, g, 0, n);
            params.get(from, pv, 0, n);
            step(g, divisor, mv, vv, pv, n, config.getLearningRate(iteration, epoch), config.getBeta1(), config.getBeta2(),
                    config.getEpsilon(), iteration);
            params.put(from, pv, 0, n);
            DirectBuffers.write(mv, m);
            DirectBuffers.write(vv, v);
        }

        /** Sizes the reused heap arrays for {@code n} parameters (the gradient's and each moment's length). */
        private void heapArrays(int n) {
            if (mv != null && mv.length == n) return;
            g = new float[n];
            pv = new float[n];
            mv = new float[n];
            vv = new float[n];
        }

        /** Whether the moments are contiguous float arrays, which {@link #applyTo} needs. */
        boolean holdsFloatMoments() {
            INDArray m = getM(), v = getV();
            return m != null && v != null && m.dataType() == DataType.FLOAT && v.dataType() == DataType.FLOAT
                    && DirectBuffers.contiguous(m) && DirectBuffers.contiguous(v);
        }

        /** The gradient {@code g} becomes the update; m and v the new moments, flushed. */
        static void step(float[] g, float[] m, float[] v, double learningRate, double beta1, double beta2, double epsilon, int iteration) {
            step(g, 1f, m, v, null, g.length, learningRate, beta1, beta2, epsilon, iteration);
        }

        /**
         * Elements [0, n) of {@code g}, divided by {@code divisor}, make Adam's update (x / 1 is x): it replaces them in
         * {@code g}, or, with {@code params}, is subtracted from them there. m and v become the new moments, flushed.
         */
        private static void step(float[] g, float divisor, float[] m, float[] v, float[] params, int n, double learningRate,
                                 double beta1, double beta2, double epsilon, int iteration) {
            float b1 = (float) beta1, b2 = (float) beta2, eps = (float) epsilon;
            // the bias corrections as the op computes them: the float betas to the power iteration + 1 by ND4J's own
            // float pow (Java's Math.pow, rounded to float, differs from it in the last bit at some iterations), the
            // step size in float
            INDArray powers = Transforms.pow(Nd4j.createFromArray(b1, b2), (float) iteration + 1f, false);
            float b1t = powers.getFloat(0), b2t = powers.getFloat(1);
            float stepSize = (float) (((float) learningRate * (float) Math.sqrt((float) (1. - b2t))) / (1.0 - b1t));
            if (Float.isNaN(stepSize) || stepSize == 0 || Float.isInfinite(stepSize)) stepSize = eps;
            float keep1 = 1 - b1, keep2 = 1 - b2;
            // branch-free loops, which the JIT vectorizes (a select inside kept them scalar: ten times slower)
            if (params == null) {
                for (int i = 0; i < n; i++) {
                    float gi = g[i] / divisor;
                    float mi = b1 * m[i] + gi * keep1;
                    float vi = b2 * v[i] + gi * gi * keep2;
                    g[i] = mi * stepSize / ((float) Math.sqrt(vi) + eps);
                    m[i] = mi;
                    v[i] = vi;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    float gi = g[i] / divisor;
                    float mi = b1 * m[i] + gi * keep1;
                    float vi = b2 * v[i] + gi * gi * keep2;
                    params[i] -= mi * stepSize / ((float) Math.sqrt(vi) + eps);
                    m[i] = mi;
                    v[i] = vi;
                }
            }
            for (int i = 0; i < n; i++) {
                if (Math.abs(m[i]) < Float.MIN_NORMAL) m[i] = 0f;
                if (v[i] < Float.MIN_NORMAL) v[i] = 0f;
            }
        }
    }
}
