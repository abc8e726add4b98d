package latentdigits.performance;

import static latentdigits.performance.Blas.gemm;

import latentdigits.util.DirectBuffers;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's 2-D convolution layer (the same configuration, parameters, initialisation and JSON shape), computed as one
 * matrix product over the whole minibatch forward and two backward, around index-table gathers
 * ({@link ImageColumns}).
 * <p>
 * Why: on the CNN VAE's small maps DL4J's CPU convolution spent most of a minibatch in its {@code im2col} op and in
 * computing the forward pass again in backprop (docs/experiments/cnn-vae.md); here the column matrix of the forward
 * pass is kept for the weight gradient, the bias is a rank-one product, and the arrays are kept across minibatches.
 * A configuration or input the lowered path does not cover ({@link LoweredConvolution#handles}) runs DL4J's code.
 */
public class GemmConvolutionLayer extends ConvolutionLayer {
    /**
     * Whether backprop computes the gradient of the layer's input. Off for a layer that reads the network's input,
     * whose gradient nobody reads: DL4J backpropagates through every layer and gives a layer no way to know what its
     * input is, and for the CNN VAE's first convolution this product and its scatter were ~5 % of a minibatch. The
     * layer then passes back zeros. On in configurations saved without it.
     */
    private boolean inputGradient = true;

    /** For Jackson: DL4J stores layer configurations as JSON. */
    public GemmConvolutionLayer() {
    }

    private GemmConvolutionLayer(Builder builder) {
        super(builder);
    }

    public static GemmConvolutionLayer of(int kernel, int stride, int padding, int out, IActivation activation) {
        Builder builder = new Builder(new int[]{kernel, kernel}, new int[]{stride, stride}, new int[]{padding, padding});
        builder.nOut(out).activation(activation);
        return builder.build();
    }

    /** This layer, passing back zeros for its input's gradient: for a layer whose input is the network's input. */
    public GemmConvolutionLayer withoutInputGradient() {
        inputGradient = false;
        return this;
    }

    /** Whether backprop computes the gradient of the layer's input (for Jackson too). */
    public boolean isInputGradient() {
        return inputGradient;
    }

    public void setInputGradient(boolean inputGradient) {
        this.inputGradient = inputGradient;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof GemmConvolutionLayer other && inputGradient == other.inputGradient;
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Boolean.hashCode(inputGradient);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNInNOutSet("GemmConvolutionLayer", getLayerName(), layerIndex, getNIn(), getNOut());
        return LayerWiring.wire(new Impl(conf, networkDataType), conf, listeners, layerIndex, layerParamsView, initializeParams, initializer());
    }

    public static class Builder extends ConvolutionLayer.Builder {
        public Builder(int[] kernelSize, int[] stride, int[] padding) {
            super(kernelSize, stride, padding);
        }

        @Override
        public GemmConvolutionLayer build() {
            ConvolutionUtils.validateConvolutionModePadding(convolutionMode, padding);
            ConvolutionUtils.validateCnnKernelStridePadding(kernelSize, stride, padding);
            return new GemmConvolutionLayer(this);
        }
    }

    /** The layer itself; DL4J's {@code ConvolutionLayer} for what {@link LoweredConvolution#handles} does not cover. */
    public static class Impl extends org.deeplearning4j.nn.layers.convolution.ConvolutionLayer {
        private final LoweredConvolution lowered = new LoweredConvolution();
        private ImageColumns columns;

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** Whether the last forward pass took the lowered path (not DL4J's). */
        boolean loweredLastPass() {
            return lowered.lastPassLowered();
        }

        private boolean lowerable() {
            ConvolutionLayer conf = layerConf();
            boolean square = conf.getKernelSize()[0] == conf.getKernelSize()[1] && conf.getStride()[0] == conf.getStride()[1]
                    && conf.getPadding()[0] == conf.getPadding()[1];
            return square && LoweredConvolution.handles(conf, input, maskArray, dataType);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            if (!lowered.begin(lowerable())) return super.activate(training, workspaceMgr);
            INDArray x = LoweredConvolution.dense(input, dataType);
            int batch = (int) x.size(0), channels = (int) x.size(1), height = (int) x.size(2), width = (int) x.size(3);
            ConvolutionLayer conf = layerConf();
            int kernel = conf.getKernelSize()[0], stride = conf.getStride()[0], padding = conf.getPadding()[0];
            int outHeight = (height + 2 * padding - kernel) / stride + 1, outWidth = (width + 2 * padding - kernel) / stride + 1;
            int positions = outHeight * outWidth, rows = channels * kernel * kernel, out = (int) conf.getNOut();
            if (columns == null || !columns.fits(rows, positions, channels * height * width))
                columns = ImageColumns.convolution(channels, height, width, kernel, stride, padding);

            long wide = (long) batch * positions;
            INDArray cols = lowered.kept("columns", dataType, rows, wide);
            columns.gather(DirectBuffers.of(x), DirectBuffers.of(cols), batch);
            INDArray product = lowered.kept("product", dataType, out, wide);
            gemm(getParam(ConvolutionParamInitializer.BIAS_KEY), true, lowered.ones(dataType, wide), false, product, 0.0);
            gemm(LoweredConvolution.matrix(getParam(ConvolutionParamInitializer.WEIGHT_KEY)), false, cols, false, product, 1.0);
            INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[]{batch, out, outHeight, outWidth}, 'c');
            ImageColumns.fromChannelMajor(DirectBuffers.of(product), DirectBuffers.of(z), batch, out, positions);
            return lowered.activate(conf.getActivationFn(), z, input, cols, training, workspaceMgr);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            if (!lowered.trainedOn(input) || lowered.forGradient() == null || !lowerable()) {
                lowered.forget();
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            INDArray cols = lowered.forGradient();
            INDArray delta = lowered.delta(layerConf().getActivationFn(), epsilon, dataType);
            int batch = (int) input.size(0), out = (int) delta.size(1), positions = (int) (delta.size(2) * delta.size(3));
            long wide = (long) batch * positions;

            INDArray deltaColumns = lowered.kept("delta", dataType, out, wide);
            ImageColumns.toChannelMajor(DirectBuffers.of(delta), DirectBuffers.of(deltaColumns), batch, out, positions);
            Gradient gradient = new DefaultGradient();
            INDArray biasGradient = gradientViews.get(ConvolutionParamInitializer.BIAS_KEY);
            gemm(lowered.ones(dataType, wide), false, deltaColumns, true, biasGradient, 0.0);
            gradient.setGradientFor(ConvolutionParamInitializer.BIAS_KEY, biasGradient);
            INDArray weightGradient = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
            gemm(deltaColumns, false, cols, true, LoweredConvolution.matrix(weightGradient), 0.0);
            gradient.setGradientFor(ConvolutionParamInitializer.WEIGHT_KEY, weightGradient, 'c');
            if (!((GemmConvolutionLayer) layerConf()).isInputGradient())
                return new Pair<>(gradient, workspaceMgr.create(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c'));

            INDArray inputColumns = lowered.kept("input-gradient", dataType, columns.rows, wide);
            gemm(LoweredConvolution.matrix(getParam(ConvolutionParamInitializer.WEIGHT_KEY)), true, deltaColumns, false, inputColumns, 0.0);
            INDArray epsilonNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
            columns.scatterAdd(DirectBuffers.of(inputColumns), DirectBuffers.of(epsilonNext), batch);
            return new Pair<>(gradient, epsilonNext);
        }

        @Override
        public void clear() {
            super.clear();
            lowered.forget();
        }
    }
}
