package latentdigits.distributed;

import java.io.Serializable;

/**
 * How {@link ParameterAveraging} averages its workers (docs/experiments/averaging.md measures each choice).
 *
 * @param frequency         minibatches each worker fits between two averaging rounds (DL4J's averagingFrequency)
 * @param outerLearningRate scales each round's change: {@code new = old + eta * (mean - old)}; 1 is DL4J's plain
 *                          average, the number of workers W applies the sum of their updates, and 0 means
 *                          {@value #DEFAULT_PER_WORKER} W, the default
 */
public record AveragingSettings(int frequency, double outerLearningRate) implements Serializable {
    public AveragingSettings {
        if (frequency < 1) throw new IllegalArgumentException("--averaging-frequency: expected at least 1, found " + frequency);
        if (outerLearningRate < 0)
            throw new IllegalArgumentException("--outer-learning-rate: expected 0 (= 1.5 x the number of workers) or a positive number, found " + outerLearningRate);
    }

    /**
     * The default outer learning rate per worker. 1 would apply exactly the sum of the workers' Adam steps, to first
     * order what one JVM does with the same minibatches; 1.5 ended four seeds' 40-epoch VAE runs 0.8-1.1 nats lower: a
     * step 1.5 times the one-JVM step, which the study's 40 epochs leave room for (docs/experiments/averaging.md).
     */
    public static final double DEFAULT_PER_WORKER = 1.5;

    /** Averaging after every minibatch with the default outer learning rate. */
    public static final AveragingSettings EVERY_MINIBATCH = new AveragingSettings(1, 0);

    /** This with the outer learning rate's "0 = the default" resolved for {@code workers} workers. */
    AveragingSettings forWorkers(int workers) {
        return outerLearningRate == 0 ? new AveragingSettings(frequency, DEFAULT_PER_WORKER * workers) : this;
    }
}
