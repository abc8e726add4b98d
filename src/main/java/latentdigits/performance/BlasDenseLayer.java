package latentdigits.performance;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's dense layer ({@code W}, {@code b}, the same parameters, initialisation and JSON shape), computed with three
 * matrix products forward and three backward and nothing else.
 * <p>
 * Why: DL4J's {@code DenseLayer} computes {@code x W + b} again in backprop to get the pre-activation (a second
 * matrix product and bias add per layer and minibatch), and adds and sums the bias with broadcast and reduction ops
 * that each build several native objects (five for every {@code addiRowVector}, three for the bias gradient's sum).
 * Every native object costs ND4J's deallocator thread a free and the collector a copy, which in Spark local[2] come
 * out of the training tasks' time. Here the forward pass keeps its pre-activation for backprop, and the bias is a
 * rank-one product with a column of ones both ways ({@code 1 b} forward, {@code 1^T delta} for its gradient).
 * <p>
 * Dropout, weight noise and masks are not used by this project; a layer configured with any of them, or asked for
 * gradients without a training forward pass on the same input, runs DL4J's own code.
 */
public class BlasDenseLayer extends FeedForwardLayer {

    /** For Jackson: DL4J stores layer configurations as JSON. */
    public BlasDenseLayer() {
    }

    private BlasDenseLayer(Builder builder) {
        super(builder);
        initializeConstraints(builder);
    }

    public static BlasDenseLayer of(int units, IActivation activation) {
        return new Builder().nOut(units).activation(activation).build();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNInNOutSet("BlasDenseLayer", getLayerName(), layerIndex, getNIn(), getNOut());
        Impl layer = new Impl(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() {
        return DefaultParamInitializer.getInstance();
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        InputType outputType = getOutputType(-1, inputType);
        long params = initializer().numParams(this);
        // training keeps the pre-activation next to the activation
        return new LayerMemoryReport.Builder(layerName, BlasDenseLayer.class, inputType, outputType)
                .standardMemory(params, getIUpdater().stateSize(params))
                .workingMemory(0, 0, 0, outputType.arrayElementsPerExample())
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    public static class Builder extends FeedForwardLayer.Builder<Builder> {
        @Override
        @SuppressWarnings("unchecked")
        public BlasDenseLayer build() {
            return new BlasDenseLayer(this);
        }
    }

    /** The layer itself; falls back to DL4J's {@link BaseLayer} code for what it does not handle. */
    public static class Impl extends BaseLayer<BlasDenseLayer> {
        private INDArray onesColumn;
        private INDArray preActivation;
        private INDArray preActivationInput;

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }

        @Override
        public void fit(INDArray input, LayerWorkspaceMgr workspaceMgr) {
            throw new UnsupportedOperationException("Not supported");
        }

        @Override
        public boolean hasBias() {
            return true;
        }

        private boolean plain() {
            return layerConf().getIDropout() == null && layerConf().getWeightNoise() == null && maskArray == null
                    && input.rank() == 2 && input.size(1) == getParam(DefaultParamInitializer.WEIGHT_KEY).size(0);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            forgetPreActivation();
            if (!plain()) return super.activate(training, workspaceMgr);
            INDArray x = input.castTo(dataType);
            INDArray w = getParam(DefaultParamInitializer.WEIGHT_KEY);
            INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[]{x.size(0), w.size(1)}, 'f');
            gemm(ones(x.size(0)), false, getParam(DefaultParamInitializer.BIAS_KEY), false, z, 0.0);
            gemm(x, false, w, false, z, 1.0);
            IActivation activation = layerConf().getActivationFn();
            if (activation instanceof ActivationIdentity) {
                preActivationInput = training ? input : null;
                return z;
            }
            if (!training) return activation.getActivation(z, false);
            // the activation works in place; backprop needs z itself
            preActivation = z;
            preActivationInput = input;
            return activation.getActivation(workspaceMgr.dup(ArrayType.ACTIVATIONS, z, 'f'), true);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            if (preActivationInput != input || !plain()) return super.backpropGradient(epsilon, workspaceMgr);
            // an identity layer keeps no pre-activation: its delta is epsilon
            INDArray delta = preActivation == null ? epsilon : layerConf().getActivationFn().backprop(preActivation, epsilon).getFirst();
            forgetPreActivation();

            INDArray x = input.castTo(dataType);
            long batch = x.size(0);
            Gradient gradient = new DefaultGradient();
            INDArray biasGradient = gradientViews.get(DefaultParamInitializer.BIAS_KEY);
            gemm(ones(batch), true, delta, false, biasGradient, 0.0);
            gradient.gradientForVariable().put(DefaultParamInitializer.BIAS_KEY, biasGradient);
            INDArray weightGradient = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
            gemm(x, true, delta, false, weightGradient, 0.0);
            gradient.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, weightGradient);

            INDArray w = getParam(DefaultParamInitializer.WEIGHT_KEY);
            INDArray epsilonNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, delta.dataType(), new long[]{batch, w.size(0)}, 'f');
            gemm(delta, false, w, true, epsilonNext, 0.0);
            return new Pair<>(gradient, epsilonNext);
        }

        /**
         * {@code c = op(a) op(b) + beta c}, straight to OpenBLAS when every matrix is a float or double strided
         * 2-D block (either order); otherwise through ND4J's matmul op. ND4J's op costs ~8 us a call more here (an op
         * context and argument buffers built and freed per call, 30 calls a minibatch) than the product of a
         * [100, 50] by [50, 50] matrix itself. Returns whether it went straight to OpenBLAS.
         */
        static boolean gemm(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, double beta) {
            DataType type = c.dataType();
            Strided sa = Strided.of(a), sb = Strided.of(b), sc = Strided.of(c);
            boolean direct = (type == DataType.FLOAT || type == DataType.DOUBLE) && a.dataType() == type && b.dataType() == type
                    && sa != null && sb != null && sc != null && sc.columnMajor;
            if (!direct) {
                Nd4j.gemm(a, b, c, transA, transB, 1.0, beta);
                return false;
            }
            int m = (int) c.size(0), n = (int) c.size(1), k = (int) (transA ? a.size(0) : a.size(1));
            // a row-major block is the column-major block of its transpose
            int opA = transA != !sa.columnMajor ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
            int opB = transB != !sb.columnMajor ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
            if (type == DataType.FLOAT) {
                openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasColMajor, opA, opB, m, n, k, 1f,
                        (FloatPointer) a.data().addressPointer(), sa.leading, (FloatPointer) b.data().addressPointer(), sb.leading,
                        (float) beta, (FloatPointer) c.data().addressPointer(), sc.leading);
            } else {
                openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasColMajor, opA, opB, m, n, k, 1.0,
                        (DoublePointer) a.data().addressPointer(), sa.leading, (DoublePointer) b.data().addressPointer(), sb.leading,
                        beta, (DoublePointer) c.data().addressPointer(), sc.leading);
            }
            return true;
        }

        /** How BLAS sees a matrix: column-major with leading dimension {@code leading}, or row-major. */
        private record Strided(boolean columnMajor, int leading) {
            static Strided of(INDArray x) {
                if (x.rank() != 2 || x.isEmpty()) return null; // a view's data() pointer already starts at its offset
                long rows = x.size(0), columns = x.size(1);
                long s0 = x.stride(0), s1 = x.stride(1);
                if ((s0 == 1 || rows == 1) && s1 >= Math.max(1, rows)) return new Strided(true, (int) Math.max(s1, rows));
                if ((s1 == 1 || columns == 1) && s0 >= Math.max(1, columns)) return new Strided(false, (int) Math.max(s0, columns));
                return null;
            }
        }

        /** Whether the last training forward pass left its pre-activation for backprop. */
        boolean keepsPreActivation() {
            return preActivationInput != null;
        }

        /** A column of ones, [batch, 1], kept outside DL4J's workspaces across minibatches. */
        private INDArray ones(long batch) {
            if (onesColumn == null || onesColumn.size(0) != batch || onesColumn.dataType() != dataType) {
                try (MemoryWorkspace outside = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                    onesColumn = Nd4j.ones(dataType, batch, 1);
                }
            }
            return onesColumn;
        }

        private void forgetPreActivation() {
            preActivation = null;
            preActivationInput = null;
        }

        @Override
        public void clear() {
            super.clear();
            forgetPreActivation();
        }
    }
}
