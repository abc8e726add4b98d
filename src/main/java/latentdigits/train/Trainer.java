package latentdigits.train;

import latentdigits.util.RunDirectory;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/** A model being trained, as the {@link TrainingLoop} drives it: a VAE of either architecture, the GAN, the classifier. */
public interface Trainer extends AutoCloseable {
    /** Epoch {@code epoch} of {@code epochs}: one pass over the training data; returns how many images it trained on. */
    long fitEpoch(int epoch, int epochs);

    /** This epoch's metrics, in the order they appear in metrics.jsonl (e.g. train_xent, train_kl, val_xent, val_kl). */
    Map<String, Double> evaluate();

    /** Short text for the progress line, e.g. "train xent 160.1 kl 5.2 | val xent 161.0 kl 5.2". */
    String describe(Map<String, Double> metrics);

    /** Figures drawn every epoch, e.g. figures/samples-epoch-NNN.png. */
    void writeEpochFigures(RunDirectory run, int epoch) throws IOException;

    /** The model file's bytes (rewritten after every epoch). */
    byte[] modelBytes() throws IOException;

    /** Every network's state, for the checkpoint: what {@link #restore} needs to continue exactly. */
    List<NetworkState> state();

    /** Loads a checkpoint's network states into the model (a resumed run). */
    void restore(List<NetworkState> networks);

    /** Stops whatever training still runs in the background (a Spark stage ahead of the driver's loop). */
    @Override
    default void close() {
    }
}
