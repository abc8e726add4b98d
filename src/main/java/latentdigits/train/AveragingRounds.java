package latentdigits.train;

import java.io.Serializable;

/**
 * How the parameter-averaging master's rounds run (docs/design.md measures each choice).
 *
 * @param frequency         minibatches each worker fits between two averagings (DL4J's averagingFrequency)
 * @param outerLearningRate scales each round's change: {@code new = old + eta * (mean - old)}; 1 is DL4J's plain
 *                          average, the number of workers W applies the sum of their updates, and 0 means
 *                          {@value #DEFAULT_PER_WORKER} W, the default
 * @param barrierStage      the rounds inside Spark barrier stages of one or more epochs ({@link BarrierRounds}) rather than
 *                          one Spark job per round (DL4J's way)
 * @param adamStateEachRound Adam's moments averaged with the parameters in every round (DL4J's way), or, in a barrier
 *                          stage, kept by each worker through the epoch and averaged once, when it ends: a round then
 *                          carries a third of the numbers (docs/design.md, "Eleventh round")
 * @param epochsPerStage    epochs trained by one barrier stage, 0 for all of the run's: a stage cost ~35 ms an
 *                          epoch to start and end (docs/design.md, "Twelfth round")
 */
public record AveragingRounds(int frequency, double outerLearningRate, boolean barrierStage, boolean adamStateEachRound,
                              int epochsPerStage) implements Serializable {
    public AveragingRounds {
        if (epochsPerStage < 0) throw new IllegalArgumentException("epochs per stage: expected 0 (all) or more, found " + epochsPerStage);
        if (frequency < 1) throw new IllegalArgumentException("averaging frequency: expected >= 1, found " + frequency);
        if (outerLearningRate < 0)
            throw new IllegalArgumentException("outer learning rate: expected 0 (= 1.5 x the number of workers) or > 0, found " + outerLearningRate);
    }

    /**
     * The default outer learning rate per worker. 1 would apply exactly the sum of the workers' Adam steps, to first
     * order what one JVM does with the same minibatches; 1.5 ended four seeds' 40-epoch VAE runs 0.8-1.1 nats lower
     * (docs/design.md): a step 1.5 times the one-JVM step, which the study's 40 epochs leave room for.
     */
    public static final double DEFAULT_PER_WORKER = 1.5;

    /** conf/train-vae.properties' epochs-per-stage (all epochs in one stage), for trainers without a flag of their own. */
    public static final int DEFAULT_EPOCHS_PER_STAGE = 0;

    /** This with the outer learning rate's "0 = the default" resolved. */
    AveragingRounds forWorkers(int workers) {
        return outerLearningRate == 0 ? new AveragingRounds(frequency, DEFAULT_PER_WORKER * workers, barrierStage, adamStateEachRound, epochsPerStage) : this;
    }
}
