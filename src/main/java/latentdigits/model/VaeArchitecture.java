package latentdigits.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.inputs.InputType;

import java.io.Serializable;

/**
 * What distinguishes one VAE from another: its encoder and its decoder. Everything else (sampling, loss, training,
 * encoding, figures) is shared by {@link VaeNetworks}. Layer names must be stable: saved models and the
 * encoder-only / decoder-only sub-networks are matched to the full graph by name.
 */
public interface VaeArchitecture extends Serializable {
    /** The encoder's last vertex: [B, 2 * latent], identity activation, read as (mu, log sigma^2). */
    String MOMENTS = "moments";
    /** The decoder's last layer: 784 values per image (any shape), pre-sigmoid Bernoulli logits. */
    String LOGITS = "logits";

    String name();

    /** How the flat [B, 784] image rows enter the encoder. */
    InputType imageInputType();

    /** Adds the encoder from vertex {@code input} to a vertex named {@link #MOMENTS}. */
    void addEncoder(GraphBuilder graph, String input, int latent);

    /** Adds the decoder from vertex {@code z} ([B, latent]) to a layer named {@link #LOGITS}. */
    void addDecoder(GraphBuilder graph, String z, int latent);

    static VaeArchitecture named(String name, String flag) {
        return switch (name) {
            case "mlp" -> new MlpVae();
            case "cnn" -> new CnnVae();
            default -> throw new IllegalArgumentException(flag + ": expected mlp or cnn, found '" + name + "'");
        };
    }
}
