package latentdigits.model;

import latentdigits.performance.BlasDenseLayer;
import latentdigits.performance.ChannelBatchNormalization;
import latentdigits.performance.GemmConvolutionLayer;
import latentdigits.performance.GemmDeconvolutionLayer;
import static latentdigits.model.Layers.dense;

import latentdigits.data.DigitSource;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.nd4j.linalg.activations.Activation;

/**
 * The study's convolutional VAE (section 4). Encoder, with batch normalisation and leaky ReLU:
 * 28x28x1 -conv 4/2, BN-> 14x14xC -conv 4/2, leaky-> 7x7x2C -conv 7, leaky-> 1x1x50 -conv 1, leaky-> 1x1x50
 * -conv 1-> 1x1x(2 * latent), read as (mu, log sigma^2). On a 7x7 map a kernel-7 convolution without padding, and on a
 * 1x1 map a kernel-1 one, are exactly dense layers over the flattened map, so the last three are built as
 * {@link BlasDenseLayer}s (no im2col). These 1x1x50 stages, like the MLP VAE's two hidden layers, are what let the encoder
 * place the digits well in 2-D: reading mu straight off the 7x7 map (one linear kernel-7 convolution) left the CNN
 * behind the MLP VAE, and each 1x1 stage lowered the validation NELBO (docs/experiments/cnn-vae.md).
 * Batch normalisation after the first convolution only: after the second as well, training stalled. The batch
 * normalisations are configured with a leaky ReLU that DL4J never applied (see {@link #batchNorm()}).
 * Decoder: z -dense 50, leaky-> -dense 50, leaky-> (the MLP VAE's two hidden layers) -dense, leaky-> 7x7x2C map
 * -deconv 2/2, BN-> 14x14xC -deconv 2/2-> 28x28x1 Bernoulli logits: transposed convolutions of kernel 2 and
 * stride 2 with padding 0 double the side exactly (7 -> 14 -> 28). Each leaky unit on a 2-D z is linear on either
 * side of a line in the latent plane, and the map from z to digits must tile that plane with ten kinds of digit, which
 * two hidden layers do better than one. The dense projection to the 7x7 map replaced a kernel-7 transposed convolution
 * of z as a 1x1 map, whose 7x7 map was nearly a fixed pattern scaled by two numbers (docs/experiments/cnn-vae.md).
 */
public class CnnVae implements VaeArchitecture {
    /** Units of the encoder's two 1x1 stages and of the decoder's two hidden layers, as in the MLP VAE. */
    static final int HIDDEN = 50;
    private final int channels;
    private final int side;

    public CnnVae() {
        this(8, DigitSource.SIDE);
    }

    /** The same network at another size (side must be 4 * k): gradient checks use a small one. */
    CnnVae(int channels, int side) {
        if (side % 4 != 0) throw new IllegalArgumentException("CNN VAE: side must be a multiple of 4, found " + side);
        this.channels = channels;
        this.side = side;
    }

    @Override
    public String name() {
        return "cnn";
    }

    @Override
    public InputType imageInputType() {
        return InputType.convolutionalFlat(side, side, 1);
    }

    @Override
    public void addEncoder(GraphBuilder graph, String input, int latent) {
        int quarter = side / 4;
        graph.addLayer("enc_conv1", conv(4, 2, 1, channels, Activation.IDENTITY).withoutInputGradient(), input)
                .addLayer("enc_bn1", batchNorm(), "enc_conv1")
                .addLayer("enc_conv2", conv(4, 2, 1, 2 * channels, Activation.LEAKYRELU), "enc_bn1")
                .addVertex("enc_flat", new PreprocessorVertex(new CnnToFeedForwardPreProcessor(quarter, quarter, 2L * channels)), "enc_conv2")
                .addLayer("enc_hidden", dense(HIDDEN, Activation.LEAKYRELU).rowMajor(), "enc_flat")
                .addLayer("enc_hidden2", dense(HIDDEN, Activation.LEAKYRELU), "enc_hidden")
                .addLayer(MOMENTS, dense(2 * latent, Activation.IDENTITY), "enc_hidden2");
    }

    @Override
    public void addDecoder(GraphBuilder graph, String z, int latent) {
        int quarter = side / 4;
        graph.addLayer("dec_hidden", dense(HIDDEN, Activation.LEAKYRELU), z)
                .addLayer("dec_hidden2", dense(HIDDEN, Activation.LEAKYRELU), "dec_hidden")
                .addLayer("dec_dense", dense(quarter * quarter * 2 * channels, Activation.LEAKYRELU).rowMajor(), "dec_hidden2")
                .addVertex("dec_map", new PreprocessorVertex(new FeedForwardToCnnPreProcessor(quarter, quarter, 2L * channels)), "dec_dense")
                .addLayer("dec_deconv2", upsample(2, channels), "dec_map")
                .addLayer("dec_bn2", batchNorm(), "dec_deconv2")
                .addLayer(LOGITS, upsample(2, 1), "dec_bn2");
    }

    private static GemmConvolutionLayer conv(int kernel, int stride, int padding, int out, Activation activation) {
        return GemmConvolutionLayer.of(kernel, stride, padding, out, activation.getActivationFunction());
    }

    private static GemmDeconvolutionLayer upsample(int factor, int out) {
        return GemmDeconvolutionLayer.of(factor, out, Activation.IDENTITY.getActivationFunction());
    }

    /**
     * Batch normalisation configured with a leaky ReLU, as the study asks. DL4J 1.0.0-M2's layer never applies its
     * activation, so the trained networks have none there; ChannelBatchNormalization computes exactly DL4J's layer, so
     * the network stays the one whose results are published (docs/experiments/cnn-vae.md).
     */
    private static ChannelBatchNormalization batchNorm() {
        ChannelBatchNormalization.Builder builder = new ChannelBatchNormalization.Builder();
        builder.activation(Activation.LEAKYRELU);
        return builder.build();
    }
}
