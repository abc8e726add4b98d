package latentdigits.encode;

import java.io.Serializable;

/** One encoded image: its index in the source file, its true label, the encoder's mean and log-variance, and its loss terms. */
public record LatentRow(long index, int label, float[] mu, float[] logvar, double xent, double kl) implements Serializable {
}
