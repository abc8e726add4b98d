package latentdigits.distributed;

import org.apache.spark.SparkConf;

import java.io.Serializable;

/**
 * How a run's epochs are grouped into training stages and what happens when one fails.
 *
 * @param epochsPerStage   epochs one Spark barrier stage trains, 0 for all of the run's; the numbers trained are the same
 *                         whatever it is, and every stage costs a Spark job's start and end
 * @param maxAttempts      training stages started for one epoch before the job gives up: a stage that fails (a lost
 *                         executor, a failed task, an all-reduce past its timeout) is started again from the last finished
 *                         epoch, once the cluster has the task slots again
 * @param timeoutMillis    how long a task waits in an all-reduce for the stage's other tasks
 */
public record StagePlan(int epochsPerStage, int maxAttempts, long timeoutMillis) implements Serializable {
    /** How long an all-reduce waits for the other tasks (a Spark time, e.g. 120s). */
    public static final String TIMEOUT_KEY = "spark.latentdigits.allReduceTimeout";
    static final String DEFAULT_TIMEOUT = "120s";

    public StagePlan {
        if (epochsPerStage < 0) throw new IllegalArgumentException("--epochs-per-stage: expected 0 (all) or more, found " + epochsPerStage);
        if (maxAttempts < 1) throw new IllegalArgumentException("--max-stage-attempts: expected at least 1, found " + maxAttempts);
        if (timeoutMillis < 1000) throw new IllegalArgumentException(TIMEOUT_KEY + ": expected at least 1s, found " + timeoutMillis + " ms");
    }

    /** The plan for these flags, with the all-reduce timeout the Spark configuration sets. */
    public static StagePlan of(int epochsPerStage, int maxAttempts, SparkConf conf) {
        return new StagePlan(epochsPerStage, maxAttempts, conf.getTimeAsMs(TIMEOUT_KEY, DEFAULT_TIMEOUT));
    }
}
