package latentdigits.performance;

import latentdigits.util.DirectBuffers;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.DoubleBuffer;
import java.util.Arrays;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's batch normalisation layer (the same configuration, parameters, initialisation, running statistics and JSON
 * shape) computed, on NCHW activations of float or double, as per-channel loops: one pass for the minibatch statistics
 * and one for the output forward, one pass for the per-channel sums and one for the input gradient backward, sums
 * accumulated in double.
 * <p>
 * Why: DL4J's CPU layer spent about a quarter of a CNN VAE minibatch in a dozen ND4J ops (variance reduce, broadcast
 * sub/div/mul/add, sums over dimensions 0, 2, 3), each a full pass over the activations, and computed the minibatch mean
 * and variance a second time in backprop. Here backprop uses the forward pass's copy of the input and its per-channel
 * mean and 1/stdev.
 * <p>
 * What DL4J 1.0.0-M2's layer computes, and so what this one does: in training, x^ = (x - mean) / sqrt(var + eps) with
 * the minibatch mean and biased variance over examples and positions, and y = gamma * x^ + beta. The layer's activation
 * function is not applied (M2's layer never reads it). In inference the running mean and variance are used, the
 * variance stored as log10(stdev) when {@code useLogStd} (the builder's default). The running statistics are updated
 * through their "gradients", which the layer's NoOp updater subtracts from them: (mean - batchMean) * (1 - decay) and
 * log10(stdev / stdev') with var' = decay * var + (1 - decay) * batchVar (or (var - batchVar) * (1 - decay)).
 * <p>
 * Anything else (NHWC, rank 2, lockGammaBeta, a mask, dropout, a helper, other data types) runs DL4J's code.
 */
public class ChannelBatchNormalization extends BatchNormalization {
    private static final double ONE_ON_2LOGE_10 = 1.0 / (2.0 * Math.log(10.0));

    /** For Jackson: DL4J stores layer configurations as JSON. */
    public ChannelBatchNormalization() {
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNOutSet("ChannelBatchNormalization", getLayerName(), layerIndex, getNOut());
        return LayerWiring.wire(new Impl(conf, networkDataType), conf, listeners, layerIndex, layerParamsView, initializeParams, initializer());
    }

    public static class Builder extends BatchNormalization.Builder {
        /**
         * DL4J's configuration with this class: DL4J's constructor from a builder is private, so its result's fields
         * (its own and those of every superclass) are copied.
         */
        @Override
        public ChannelBatchNormalization build() {
            BatchNormalization stock = super.build();
            ChannelBatchNormalization ours = new ChannelBatchNormalization();
            for (Class<?> type = BatchNormalization.class; type != Object.class; type = type.getSuperclass()) {
                for (Field field : type.getDeclaredFields()) {
                    if (Modifier.isStatic(field.getModifiers())) continue;
                    field.setAccessible(true);
                    try {
                        field.set(ours, field.get(stock));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException("cannot copy " + field, e);
                    }
                }
            }
            return ours;
        }
    }

    /** The layer itself; DL4J's {@code BatchNormalization} for what {@link #handles} does not cover. */
    public static class Impl extends org.deeplearning4j.nn.layers.normalization.BatchNormalization {
        /** The last training pass's minibatch statistics per channel, which backprop reads. */
        private double[] batchMean;
        private double[] batchVariance;
        private double[] batchInvStd;
        /** The input of the last training pass that took this path (null otherwise). */
        private INDArray trainedInput;
        /**
         * The last forward pass's input, copied (float or double, by the layer's type; which backprop reads), and an
         * array for the output, the output gradient and the input gradient; kept across minibatches.
         */
        private float[] inputFloats, workFloats;
        private double[] inputDoubles, workDoubles;
        /** Whether the last forward pass, and the backprop after it if any, took this path (not DL4J's). */
        private boolean ownLastPass;

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        boolean ownLastPass() {
            return ownLastPass;
        }

        private boolean handles(INDArray x) {
            BatchNormalization conf = layerConf();
            return getHelper() == null && x != null && x.rank() == 4 && conf.getCnn2DFormat() == CNN2DFormat.NCHW
                    && !conf.isLockGammaBeta() && conf.getIDropout() == null && maskArray == null
                    && x.size(1) == conf.getNOut() && x.length() <= Integer.MAX_VALUE
                    && (dataType == DataType.FLOAT || dataType == DataType.DOUBLE);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            trainedInput = null;
            ownLastPass = handles(input);
            if (!ownLastPass) return super.activate(training, workspaceMgr);
            BatchNormalization conf = layerConf();
            INDArray x = LoweredConvolution.dense(input, dataType);
            int batch = (int) x.size(0), channels = (int) x.size(1), positions = (int) (x.size(2) * x.size(3));

            boolean floats = dataType == DataType.FLOAT;
            if (floats) inputFloats = read(x, inputFloats);
            else inputDoubles = read(x, inputDoubles);

            double[] mean, variance;
            if (training) {
                mean = new double[channels];
                variance = new double[channels];
                if (floats) statistics(inputFloats, batch, channels, positions, mean, variance);
                else statistics(inputDoubles, batch, channels, positions, mean, variance);
            } else {
                mean = values(getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN));
                variance = runningVariance(conf);
            }
            double[] invStd = new double[channels];
            for (int c = 0; c < channels; c++) invStd[c] = 1.0 / Math.sqrt(variance[c] + conf.getEps());

            // y = (x - mean) * (gamma / std) + beta
            double[] gamma = values(getParam(BatchNormalizationParamInitializer.GAMMA));
            double[] beta = values(getParam(BatchNormalizationParamInitializer.BETA));
            double[] scale = new double[channels];
            for (int c = 0; c < channels; c++) scale[c] = gamma[c] * invStd[c];
            INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
            if (floats) {
                workFloats = fit(workFloats, inputFloats.length);
                affine(inputFloats, workFloats, batch, channels, positions, mean, scale, beta);
                DirectBuffers.write(workFloats, y);
            } else {
                workDoubles = fit(workDoubles, inputDoubles.length);
                affine(inputDoubles, workDoubles, batch, channels, positions, mean, scale, beta);
                write(workDoubles, y);
            }

            if (training) {
                batchMean = mean;
                batchVariance = variance;
                batchInvStd = invStd;
                trainedInput = input;
            }
            return y;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            boolean own = trainedInput != null && trainedInput == input && handles(input)
                    && Arrays.equals(epsilon.shape(), input.shape());
            trainedInput = null;
            if (!own) {
                ownLastPass = false;
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            BatchNormalization conf = layerConf();
            INDArray dy = LoweredConvolution.dense(epsilon, dataType);
            int batch = (int) dy.size(0), channels = (int) dy.size(1), positions = (int) (dy.size(2) * dy.size(3));
            double count = (double) batch * positions;
            boolean floats = dataType == DataType.FLOAT;
            if (floats) workFloats = read(dy, workFloats);
            else workDoubles = read(dy, workDoubles);

            // dL/dbeta = sum dy, dL/dgamma = sum dy * x^ (over examples and positions)
            double[] sumDy = new double[channels], sumDyCentred = new double[channels];
            if (floats) channelSums(workFloats, inputFloats, batch, channels, positions, batchMean, sumDy, sumDyCentred);
            else channelSums(workDoubles, inputDoubles, batch, channels, positions, batchMean, sumDy, sumDyCentred);
            double[] gamma = values(getParam(BatchNormalizationParamInitializer.GAMMA));
            double[] dGamma = new double[channels];
            for (int c = 0; c < channels; c++) dGamma[c] = sumDyCentred[c] * batchInvStd[c];

            // dL/dx = gamma / std * (dy - mean(dy) - x^ * mean(dy * x^)) = a * dy + b * (x - mean) + k
            double[] a = new double[channels], b = new double[channels], k = new double[channels];
            for (int c = 0; c < channels; c++) {
                a[c] = gamma[c] * batchInvStd[c];
                b[c] = -a[c] * batchInvStd[c] * dGamma[c] / count;
                k[c] = -a[c] * sumDy[c] / count;
            }
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, dy.shape(), 'c');
            if (floats) {
                inputGradient(workFloats, inputFloats, batch, channels, positions, batchMean, a, b, k);
                DirectBuffers.write(workFloats, dx);
            } else {
                inputGradient(workDoubles, inputDoubles, batch, channels, positions, batchMean, a, b, k);
                write(workDoubles, dx);
            }

            Gradient gradient = new DefaultGradient();
            gradient.setGradientFor(BatchNormalizationParamInitializer.GAMMA, put(BatchNormalizationParamInitializer.GAMMA, dGamma));
            gradient.setGradientFor(BatchNormalizationParamInitializer.BETA, put(BatchNormalizationParamInitializer.BETA, sumDy));
            runningStatisticsUpdate(conf, gradient);
            return new Pair<>(gradient, dx);
        }

        /**
         * The running statistics' "gradients" (DL4J's, which the NoOp updater subtracts from the parameters): the
         * mean moves to decay * mean + (1 - decay) * batchMean, and so does the variance (through log10 of the stdev
         * when useLogStd).
         */
        private void runningStatisticsUpdate(BatchNormalization conf, Gradient gradient) {
            int channels = batchMean.length;
            double decay = conf.getDecay();
            double[] globalMean = values(getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN));
            double[] dMean = new double[channels];
            for (int c = 0; c < channels; c++) dMean[c] = (globalMean[c] - batchMean[c]) * (1 - decay);
            gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, put(BatchNormalizationParamInitializer.GLOBAL_MEAN, dMean));
            double[] variance = runningVariance(conf);
            double[] dVariance = new double[channels];
            if (conf.isUseLogStd()) {
                for (int c = 0; c < channels; c++) {
                    double next = variance[c] * decay + batchVariance[c] * (1 - decay);
                    dVariance[c] = Math.log(variance[c] / next) * ONE_ON_2LOGE_10;
                }
                gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_LOG_STD, put(BatchNormalizationParamInitializer.GLOBAL_LOG_STD, dVariance));
            } else {
                for (int c = 0; c < channels; c++) dVariance[c] = (variance[c] - batchVariance[c]) * (1 - decay);
                gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_VAR, put(BatchNormalizationParamInitializer.GLOBAL_VAR, dVariance));
            }
        }

        /** The running variance: (10^log10stdev)^2 when useLogStd, else the stored variance. */
        private double[] runningVariance(BatchNormalization conf) {
            if (!conf.isUseLogStd()) return values(getParam(BatchNormalizationParamInitializer.GLOBAL_VAR));
            double[] variance = values(getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD));
            for (int c = 0; c < variance.length; c++) {
                double std = Math.pow(10.0, variance[c]);
                variance[c] = std * std;
            }
            return variance;
        }

        /** Writes per-channel values into the gradient view of a [1, channels] parameter. */
        private INDArray put(String param, double[] values) {
            INDArray view = gradientViews.get(param);
            for (int c = 0; c < values.length; c++) view.putScalar(c, values[c]);
            return view;
        }

        private static float[] fit(float[] array, int length) {
            return array != null && array.length == length ? array : new float[length];
        }

        private static double[] fit(double[] array, int length) {
            return array != null && array.length == length ? array : new double[length];
        }

        /** A dense C-order array's values, into {@code into} if it has the length. */
        private static float[] read(INDArray dense, float[] into) {
            float[] values = fit(into, (int) dense.length());
            DirectBuffers.floats(dense).get(0, values, 0, values.length);
            return values;
        }

        private static double[] read(INDArray dense, double[] into) {
            double[] values = fit(into, (int) dense.length());
            ((DoubleBuffer) DirectBuffers.of(dense)).get(0, values, 0, values.length);
            return values;
        }

        private static void write(double[] values, INDArray dense) {
            ((DoubleBuffer) DirectBuffers.of(dense)).put(0, values, 0, values.length);
        }

        private static double[] values(INDArray row) {
            return row.toDoubleVector();
        }

        @Override
        public void clear() {
            super.clear();
            trainedInput = null;
        }
    }

    // The loops below, one copy for each data type, walk an NCHW array as batch * channels runs of positions, on Java
    // arrays (copied from and to the buffers in bulk) rather than on the buffers: the JIT compiles array loops into
    // tighter code, vectorised for the element-wise ones.
    // Sums over a channel are of the values less its first value, which keeps the one-pass variance (mean of squares
    // less square of mean) accurate when the mean is large next to the spread.

    /** Per channel: the mean and the biased variance over examples and positions. */
    private static void statistics(float[] x, int batch, int channels, int positions, double[] mean, double[] variance) {
        double[] shift = new double[channels], sum = new double[channels], squares = new double[channels];
        for (int c = 0; c < channels; c++) shift[c] = x[c * positions];
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int start = (n * channels + c) * positions;
                double s = shift[c], total = 0, totalSquares = 0;
                for (int i = start; i < start + positions; i++) {
                    double d = x[i] - s;
                    total += d;
                    totalSquares += d * d;
                }
                sum[c] += total;
                squares[c] += totalSquares;
            }
        }
        finishStatistics(batch, positions, shift, sum, squares, mean, variance);
    }

    private static void statistics(double[] x, int batch, int channels, int positions, double[] mean, double[] variance) {
        double[] shift = new double[channels], sum = new double[channels], squares = new double[channels];
        for (int c = 0; c < channels; c++) shift[c] = x[c * positions];
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int start = (n * channels + c) * positions;
                double s = shift[c], total = 0, totalSquares = 0;
                for (int i = start; i < start + positions; i++) {
                    double d = x[i] - s;
                    total += d;
                    totalSquares += d * d;
                }
                sum[c] += total;
                squares[c] += totalSquares;
            }
        }
        finishStatistics(batch, positions, shift, sum, squares, mean, variance);
    }

    private static void finishStatistics(int batch, int positions, double[] shift, double[] sum, double[] squares,
                                         double[] mean, double[] variance) {
        double count = (double) batch * positions;
        for (int c = 0; c < shift.length; c++) {
            double shiftedMean = sum[c] / count;
            mean[c] = shift[c] + shiftedMean;
            variance[c] = Math.max(0.0, squares[c] / count - shiftedMean * shiftedMean);
        }
    }

    /** y = (x - shift[c]) * scale[c] + offset[c], in float as DL4J computes it. */
    private static void affine(float[] x, float[] y, int batch, int channels, int positions, double[] shift,
                               double[] scale, double[] offset) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int start = (n * channels + c) * positions;
                float s = (float) shift[c], m = (float) scale[c], o = (float) offset[c];
                for (int i = start; i < start + positions; i++) y[i] = (x[i] - s) * m + o;
            }
        }
    }

    private static void affine(double[] x, double[] y, int batch, int channels, int positions, double[] shift,
                               double[] scale, double[] offset) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int start = (n * channels + c) * positions;
                double s = shift[c], m = scale[c], o = offset[c];
                for (int i = start; i < start + positions; i++) y[i] = (x[i] - s) * m + o;
            }
        }
    }

    /** Per channel: sum of dy, and sum of dy * (x - mean). */
    private static void channelSums(float[] dy, float[] x, int batch, int channels, int positions, double[] mean,
                                    double[] sumDy, double[] sumDyCentred) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int start = (n * channels + c) * positions;
                double m = mean[c], total = 0, totalCentred = 0;
                for (int i = start; i < start + positions; i++) {
                    double g = dy[i];
                    total += g;
                    totalCentred += g * (x[i] - m);
                }
                sumDy[c] += total;
                sumDyCentred[c] += totalCentred;
            }
        }
    }

    private static void channelSums(double[] dy, double[] x, int batch, int channels, int positions, double[] mean,
                                    double[] sumDy, double[] sumDyCentred) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int start = (n * channels + c) * positions;
                double m = mean[c], total = 0, totalCentred = 0;
                for (int i = start; i < start + positions; i++) {
                    double g = dy[i];
                    total += g;
                    totalCentred += g * (x[i] - m);
                }
                sumDy[c] += total;
                sumDyCentred[c] += totalCentred;
            }
        }
    }

    /** dx = a[c] * dy + b[c] * (x - mean[c]) + k[c], written over dy; in float for float arrays. */
    private static void inputGradient(float[] dy, float[] x, int batch, int channels, int positions, double[] mean,
                                      double[] a, double[] b, double[] k) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int start = (n * channels + c) * positions;
                float m = (float) mean[c], ac = (float) a[c], bc = (float) b[c], kc = (float) k[c];
                for (int i = start; i < start + positions; i++) dy[i] = ac * dy[i] + bc * (x[i] - m) + kc;
            }
        }
    }

    private static void inputGradient(double[] dy, double[] x, int batch, int channels, int positions, double[] mean,
                                      double[] a, double[] b, double[] k) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int start = (n * channels + c) * positions;
                double m = mean[c], ac = a[c], bc = b[c], kc = k[c];
                for (int i = start; i < start + positions; i++) dy[i] = ac * dy[i] + bc * (x[i] - m) + kc;
            }
        }
    }
}
