package latentdigits.model;

import latentdigits.data.DigitSource;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.nd4j.linalg.activations.Activation;

/**
 * The study's convolutional VAE (section 4). Encoder, fully convolutional, with batch normalisation and leaky ReLU:
 * 28x28x1 -conv 4/2-> 14x14xC -conv 4/2-> 7x7x2C -conv 7-> 1x1x(2 * latent), read as (mu, log sigma^2).
 * Decoder, fully convolutional too, as the study describes it: z as a 1x1 map, then transposed convolutions of kernel 2
 * and stride 2 only, each doubling the side (out = 2 * in - 2 * padding) with padding 0, or 1 where 0 would miss
 * 28 x 28: 1 -> 2 -> 4 -> 8 -> 14 (padding 1) -> 28, batch norm and leaky ReLU between them, Bernoulli logits last.
 * Widths halve as maps grow (8D, 4D, 2D, D channels, then 1).
 */
public class CnnVae implements VaeArchitecture {
    private final int channels;
    private final int decoderChannels;
    private final int side;

    public CnnVae() {
        this(8, 16, DigitSource.SIDE);
    }

    /** The same network at another size (side must be 4 * k): gradient checks use a small one. */
    CnnVae(int channels, int decoderChannels, int side) {
        if (side % 4 != 0) throw new IllegalArgumentException("CNN VAE: side must be a multiple of 4, found " + side);
        this.channels = channels;
        this.decoderChannels = decoderChannels;
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
        graph.addLayer("enc_conv1", conv(4, 2, 1, channels), input)
                .addLayer("enc_bn1", batchNorm(), "enc_conv1")
                .addLayer("enc_conv2", conv(4, 2, 1, 2 * channels), "enc_bn1")
                .addLayer("enc_bn2", batchNorm(), "enc_conv2")
                .addLayer("enc_conv3", conv(quarter, 1, 0, 2 * latent), "enc_bn2")
                .addVertex(MOMENTS, new PreprocessorVertex(new CnnToFeedForwardPreProcessor(1, 1, 2L * latent)), "enc_conv3");
    }

    @Override
    public void addDecoder(GraphBuilder graph, String z, int latent) {
        int[] paddings = upsamplingPaddings(side);
        graph.addVertex("dec_map", new PreprocessorVertex(new FeedForwardToCnnPreProcessor(1, 1, latent)), z);
        String previous = "dec_map";
        for (int i = 0; i < paddings.length; i++) {
            boolean last = i == paddings.length - 1;
            int out = last ? 1 : decoderChannels << (paddings.length - 2 - i);
            String name = last ? LOGITS : "dec_deconv" + (i + 1);
            graph.addLayer(name, deconv(paddings[i], out), previous);
            if (!last) {
                graph.addLayer("dec_bn" + (i + 1), batchNorm(), name);
                previous = "dec_bn" + (i + 1);
            }
        }
    }

    /**
     * Paddings of the kernel-2 stride-2 transposed convolutions that take a 1x1 map to side x side: working back from
     * the side, each step halves it (padding 0) or, when half is not reachable from 1, halves and adds one (padding 1).
     */
    static int[] upsamplingPaddings(int side) {
        java.util.List<Integer> reversed = new java.util.ArrayList<>();
        int t = side;
        while (t > 1) {
            if (t % 2 != 0) throw new IllegalArgumentException("CNN VAE: cannot reach side " + side + " by doubling from 1");
            if (reachable(t / 2)) {
                reversed.add(0);
                t = t / 2;
            } else {
                reversed.add(1);
                t = t / 2 + 1;
            }
        }
        int[] paddings = new int[reversed.size()];
        for (int i = 0; i < paddings.length; i++) paddings[i] = reversed.get(paddings.length - 1 - i);
        return paddings;
    }

    private static boolean reachable(int t) {
        return t == 1 || (t % 2 == 0 && (reachable(t / 2) || reachable(t / 2 + 1)));
    }

    private static ConvolutionLayer conv(int kernel, int stride, int padding, int out) {
        return new ConvolutionLayer.Builder(new int[]{kernel, kernel}, new int[]{stride, stride}, new int[]{padding, padding})
                .nOut(out).activation(Activation.IDENTITY).build();
    }

    private static Deconvolution2D deconv(int padding, int out) {
        return new Deconvolution2D.Builder(new int[]{2, 2}, new int[]{2, 2}, new int[]{padding, padding})
                .nOut(out).activation(Activation.IDENTITY).build();
    }

    private static BatchNormalization batchNorm() {
        return new BatchNormalization.Builder().activation(Activation.LEAKYRELU).build();
    }
}
