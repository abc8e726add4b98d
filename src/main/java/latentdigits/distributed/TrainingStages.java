package latentdigits.distributed;

import latentdigits.data.DataFileException;
import latentdigits.runtime.ClusterResources;
import latentdigits.train.TrainingDivergedException;
import latentdigits.util.JobFailure;
import latentdigits.util.UserError;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's epochs as a sequence of training stages of at most {@code epochsPerStage} epochs (0: one stage for the
 * run), each started by {@code start} (first epoch, how many) when the one before has delivered all of its epochs.
 * <p>
 * A stage that fails — an executor lost, a task failed, an all-reduce past its timeout — is started again from the
 * epoch it was training: the driver's model holds the last finished epoch, and every epoch's seeds are the same
 * whichever stage draws them ({@link EpochSeeds}), so the run ends with the numbers it would have had. Spark retries a
 * failed barrier stage only if it feeds a shuffle, and would then start it from its first epoch; here the driver knows
 * the last epoch handed over. Before each new attempt it waits for the cluster to have the stage's task slots again (a
 * replacement executor); at most {@code maxAttempts} stages are started for one epoch.
 */
final class TrainingStages implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingStages.class);

    interface Start {
        TrainingStage stage(int firstEpoch, int count);
    }

    private final StagePlan plan;
    private final SparkContext sc;
    private final int partitions;
    private final Start start;
    private TrainingStage stage;

    TrainingStages(StagePlan plan, SparkContext sc, int partitions, Start start) {
        this.plan = plan;
        this.sc = sc;
        this.partitions = partitions;
        this.start = start;
    }

    /** Epoch {@code epoch} of {@code epochs} (1-based), from the running stage or a new one. */
    TrainingStage.Handover next(int epoch, int epochs) {
        for (int attempt = 1; ; attempt++) {
            try {
                if (stage == null || stage.finished()) {
                    close();
                    int left = epochs - epoch + 1;
                    stage = start.stage(epoch, plan.epochsPerStage() == 0 ? left : Math.min(plan.epochsPerStage(), left));
                }
                return stage.next();
            } catch (RuntimeException failure) {
                abandon();
                if (!retryable(failure)) throw failure;
                String why = firstLine(failure);
                if (attempt >= plan.maxAttempts())
                    throw new JobFailure("the training stage failed " + attempt + " times in epoch " + epoch + " (--max-stage-attempts "
                            + plan.maxAttempts() + "); the last time: " + why, failure);
                LOG.warn("training stage failed in epoch {} ({}); starting it again from epoch {} (attempt {} of {})",
                        epoch, why, epoch, attempt + 1, plan.maxAttempts());
                ClusterResources.awaitSlots(sc, partitions, "to train epoch " + epoch + " again after: " + why);
            }
        }
    }

    /** Failures that another attempt cannot mend: bad input, a diverged model, a failure already explained. */
    static boolean retryable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause())
            if (t instanceof UserError || t instanceof DataFileException || t instanceof TrainingDivergedException || t instanceof JobFailure)
                return false;
        return true;
    }

    private static String firstLine(Throwable t) {
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        String line = message.lines().findFirst().orElse(message);
        return line.length() > 400 ? line.substring(0, 400) + "..." : line;
    }

    /** Closes a failed stage, whatever its close says. */
    private void abandon() {
        try {
            close();
        } catch (RuntimeException ignored) {
            stage = null; // the failure being handled says what happened
        }
    }

    /** Ends the running stage: after its last epoch, or early (training stopped), cancelling it. */
    @Override
    public void close() {
        TrainingStage running = stage;
        stage = null;
        if (running != null) running.close();
    }
}
