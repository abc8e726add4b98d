package latentdigits.model;

import static latentdigits.model.Layers.dense;

import latentdigits.data.DigitSource;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.activations.Activation;

/** The study's MLP VAE (section 2): encoder 784 -> 50 -> 50 -> 4, decoder 2 -> 50 -> 50 -> 784, ReLU between. */
public class MlpVae implements VaeArchitecture {
    private final int pixels;
    private final int hidden;

    public MlpVae() {
        this(DigitSource.PIXELS, 50);
    }

    /** The same network at another size: gradient checks visit every parameter, so they use a small one. */
    MlpVae(int pixels, int hidden) {
        this.pixels = pixels;
        this.hidden = hidden;
    }

    @Override
    public String name() {
        return "mlp";
    }

    @Override
    public InputType imageInputType() {
        return InputType.feedForward(pixels);
    }

    @Override
    public void addEncoder(GraphBuilder graph, String input, int latent) {
        graph.addLayer("enc1", dense(hidden, Activation.RELU), input)
                .addLayer("enc2", dense(hidden, Activation.RELU), "enc1")
                .addLayer(MOMENTS, dense(2 * latent, Activation.IDENTITY), "enc2");
    }

    @Override
    public void addDecoder(GraphBuilder graph, String z, int latent) {
        graph.addLayer("dec1", dense(hidden, Activation.RELU), z)
                .addLayer("dec2", dense(hidden, Activation.RELU), "dec1")
                .addLayer(LOGITS, dense(pixels, Activation.IDENTITY), "dec2");
    }
}
