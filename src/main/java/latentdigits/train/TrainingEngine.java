package latentdigits.train;

/**
 * Where a model's epochs are trained: in this JVM ({@link LocalGraphEngine}, {@link LocalGanEngine}), the reference, or
 * by Spark workers ({@code latentdigits.distributed}). Either way the model the engine is given holds the epoch's
 * result when {@link #fitEpoch} returns.
 *
 * @param <M> the model: a ComputationGraph (the VAEs, the classifier) or a GanModel
 */
public interface TrainingEngine<M> extends AutoCloseable {
    /** Epoch {@code epoch} of {@code epochs} (1-based): one pass over the training images; returns how many there were. */
    long fitEpoch(M model, int epoch, int epochs);

    /** Seconds one worker spent inside DL4J's fit() in the last epoch, where the engine knows it; NaN otherwise. */
    default double workerFitSeconds() {
        return Double.NaN;
    }

    /** Stops whatever training still runs in the background (a Spark stage ahead of the driver). */
    @Override
    default void close() {
    }
}
