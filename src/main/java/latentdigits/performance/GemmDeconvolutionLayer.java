package latentdigits.performance;

import static latentdigits.performance.Blas.gemm;

import latentdigits.util.DirectBuffers;

import java.util.Arrays;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.Deconvolution2DLayer;
import org.deeplearning4j.nn.params.DeconvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's transposed convolution ({@code Deconvolution2D}: the same configuration, parameters, initialisation and JSON
 * shape) for the case the CNN VAE's decoder uses, kernel = stride and no padding, where every input position writes
 * its own block of the output: one matrix product over the whole minibatch forward, two backward, and a scatter.
 * <p>
 * Why: DL4J's {@code deconv2d} ops took about a quarter of a CNN VAE minibatch and compute the forward pass again in
 * backprop (docs/experiments/cnn-vae.md). Other kernels, strides or paddings are refused when the layer is built.
 */
public class GemmDeconvolutionLayer extends Deconvolution2D {

    /** For Jackson: DL4J stores layer configurations as JSON. */
    public GemmDeconvolutionLayer() {
    }

    private GemmDeconvolutionLayer(Builder builder) {
        super(builder);
    }

    /** Upsamples by {@code kernel}: a transposed convolution of that kernel and stride, no padding. */
    public static GemmDeconvolutionLayer of(int kernel, int out, IActivation activation) {
        Builder builder = new Builder(new int[]{kernel, kernel}, new int[]{kernel, kernel}, new int[]{0, 0});
        builder.nOut(out).activation(activation);
        return builder.build();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNInNOutSet("GemmDeconvolutionLayer", getLayerName(), layerIndex, getNIn(), getNOut());
        return LayerWiring.wire(new Impl(conf, networkDataType), conf, listeners, layerIndex, layerParamsView, initializeParams, initializer());
    }

    public static class Builder extends Deconvolution2D.Builder {
        public Builder(int[] kernelSize, int[] stride, int[] padding) {
            super(kernelSize, stride, padding);
        }

        @Override
        public GemmDeconvolutionLayer build() {
            boolean square = kernelSize.length == 2 && kernelSize[0] == kernelSize[1];
            if (!square || !Arrays.equals(kernelSize, stride) || Arrays.stream(padding).anyMatch(p -> p != 0))
                throw new IllegalArgumentException("GemmDeconvolutionLayer: expected a square kernel equal to the stride and no padding, found kernel "
                        + Arrays.toString(kernelSize) + ", stride " + Arrays.toString(stride) + ", padding " + Arrays.toString(padding));
            return new GemmDeconvolutionLayer(this);
        }
    }

    /** The layer itself; DL4J's {@code Deconvolution2DLayer} for what {@link LoweredConvolution#handles} does not cover. */
    public static class Impl extends Deconvolution2DLayer {
        private final LoweredConvolution lowered = new LoweredConvolution();
        private ImageColumns blocks;

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** Whether the last forward pass took the lowered path (not DL4J's). */
        boolean loweredLastPass() {
            return lowered.lastPassLowered();
        }

        private boolean lowerable() {
            return LoweredConvolution.handles(layerConf(), input, maskArray, dataType);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            if (!lowered.begin(lowerable())) return super.activate(training, workspaceMgr);
            INDArray x = LoweredConvolution.dense(input, dataType);
            int batch = (int) x.size(0), channels = (int) x.size(1), height = (int) x.size(2), width = (int) x.size(3);
            int kernel = layerConf().getKernelSize()[0], out = (int) layerConf().getNOut();
            int positions = height * width, rows = out * kernel * kernel;
            if (blocks == null || !blocks.fits(rows, positions, rows * positions))
                blocks = ImageColumns.upsampling(out, height, width, kernel);

            long wide = (long) batch * positions;
            INDArray channelMajor = lowered.kept("input", dataType, channels, wide);
            ImageColumns.toChannelMajor(DirectBuffers.of(x), DirectBuffers.of(channelMajor), batch, channels, positions);
            // rows (c, ky, kx) of one output channel c are consecutive: the product read as [out, k * k * wide]
            // takes the bias as one rank-one product
            INDArray product = lowered.kept("product", dataType, rows, wide);
            gemm(getParam(DeconvolutionParamInitializer.BIAS_KEY), true, lowered.ones(dataType, kernel * kernel * wide), false,
                    product.reshape('c', out, kernel * kernel * wide), 0.0);
            gemm(LoweredConvolution.matrix(getParam(DeconvolutionParamInitializer.WEIGHT_KEY)), true, channelMajor, false, product, 1.0);
            INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[]{batch, out, (long) height * kernel, (long) width * kernel}, 'c');
            blocks.scatterAdd(DirectBuffers.of(product), DirectBuffers.of(z), batch);
            return lowered.activate(layerConf().getActivationFn(), z, input, channelMajor, training, workspaceMgr);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            if (!lowered.trainedOn(input) || lowered.forGradient() == null || !lowerable()) {
                lowered.forget();
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            INDArray channelMajor = lowered.forGradient();
            INDArray delta = lowered.delta(layerConf().getActivationFn(), epsilon, dataType);
            int batch = (int) input.size(0), channels = (int) input.size(1), positions = (int) (input.size(2) * input.size(3));
            int kernel = layerConf().getKernelSize()[0], out = (int) layerConf().getNOut();
            long wide = (long) batch * positions;

            INDArray deltaBlocks = lowered.kept("delta", dataType, blocks.rows, wide);
            blocks.gather(DirectBuffers.of(delta), DirectBuffers.of(deltaBlocks), batch);
            Gradient gradient = new DefaultGradient();
            INDArray biasGradient = gradientViews.get(DeconvolutionParamInitializer.BIAS_KEY);
            gemm(lowered.ones(dataType, kernel * kernel * wide), false, deltaBlocks.reshape('c', out, kernel * kernel * wide), true, biasGradient, 0.0);
            gradient.setGradientFor(DeconvolutionParamInitializer.BIAS_KEY, biasGradient);
            INDArray weightGradient = gradientViews.get(DeconvolutionParamInitializer.WEIGHT_KEY);
            gemm(channelMajor, false, deltaBlocks, true, LoweredConvolution.matrix(weightGradient), 0.0);
            gradient.setGradientFor(DeconvolutionParamInitializer.WEIGHT_KEY, weightGradient, 'c');

            INDArray inputGradient = lowered.kept("input-gradient", dataType, channels, wide);
            gemm(LoweredConvolution.matrix(getParam(DeconvolutionParamInitializer.WEIGHT_KEY)), false, deltaBlocks, false, inputGradient, 0.0);
            INDArray epsilonNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
            ImageColumns.fromChannelMajor(DirectBuffers.of(inputGradient), DirectBuffers.of(epsilonNext), batch, channels, positions);
            return new Pair<>(gradient, epsilonNext);
        }

        @Override
        public void clear() {
            super.clear();
            lowered.forget();
        }
    }
}
