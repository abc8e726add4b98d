package latentdigits.jobs;

import latentdigits.distributed.AveragingSettings;
import latentdigits.model.VaeArchitecture;
import latentdigits.model.VaeNetworks;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * train-vae's flags and what they mean, shared by the job and the benchmark (so it measures what users train).
 * Defaults come from conf/train-vae.properties.
 */
public final class VaeTrainingFlags {
    public static final Options OPTIONS = new Options("train-vae",
            "Trains a VAE (the study's MLP VAE by default) on Spark and writes DIR/{model.zip, metrics.jsonl, config.json, figures/}.")
            .trainingFlags()
            .value("arch", "mlp|cnn", "encoder/decoder definition: the study's MLP VAE or its convolutional VAE")
            .value("latent", "K", "latent dimensions")
            .value("batch", "B", "minibatch size (per worker)")
            .value("validation", "N", "training images held out, chosen with --seed, for the validation curve")
            .value("averaging-frequency", "F", "minibatches each worker fits between two parameter averagings")
            .value("outer-learning-rate", "ETA", "scale of each averaging round's change: 1 = DL4J's plain average, W (the number of workers) = the sum of their updates, 0 = 1.5 W")
            .value("init-from", "MODEL", "start from a trained VAE of the same architecture (a model.zip, a run directory, or a published MODELS/latest) instead of random weights")
            .value("eval-limit", "N", "training images scored after each epoch for the training curve")
            .value("eval-batch", "B", "batch size when scoring")
            .value("from-index", "I", "test image at the left of interpolation.png (default: the first 5 of the test set)")
            .value("to-index", "I", "test image at the right of interpolation.png (default: the first 7 of the test set)");

    private VaeTrainingFlags() {
    }

    /** The network these flags describe. */
    public static VaeNetworks.Spec spec(Options.Args a) {
        return new VaeNetworks.Spec(VaeArchitecture.named(a.require("arch"), "--arch"),
                a.integer("latent", 1), a.number("learning-rate"), a.longValue("seed", 0), DataType.FLOAT);
    }

    /** How these flags say the Spark workers average. */
    public static AveragingSettings averaging(Options.Args a) {
        return new AveragingSettings(a.integer("averaging-frequency", 1), a.number("outer-learning-rate"));
    }
}
