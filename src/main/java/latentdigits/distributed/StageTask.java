package latentdigits.distributed;

import latentdigits.train.NetworkState;
import org.apache.spark.BarrierTaskContext;
import org.nd4j.linalg.factory.Nd4j;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A task of a training stage: a Spark barrier stage whose tasks train one or more epochs together
 * ({@link ParameterAveragingTask}, {@link GradientAveragingTask}). It joins the stage's all-reduce, sets up its
 * worker, and trains the stage's epochs one by one, seeding its random stream from each epoch's seed and its
 * partition, so a seeded run repeats whatever the epochs per stage. When an epoch ends, partition 0 hands what every
 * worker then holds to the driver ({@link HandoverChannel}) and waits for its answer; the other tasks wait for
 * partition 0 in the next epoch's first all-reduce.
 */
abstract class StageTask<T> extends AbstractFunction1<scala.collection.Iterator<T>, scala.collection.Iterator<Integer>>
        implements Serializable {
    /** The training run, which names its networks in the executors' caches and its all-reduces. */
    final String runId;
    private final long[] epochSeeds;
    private final HandoverChannel.Address driver;
    private final LinkSecurity security;
    private final long timeoutMillis;

    /**
     * @param epochSeeds    one per epoch of the stage: the workers' random streams
     * @param security      the run's secret and link settings, for the all-reduce hub and the handover
     * @param timeoutMillis how long an all-reduce waits for the stage's other tasks
     */
    StageTask(String runId, long[] epochSeeds, HandoverChannel.Address driver, LinkSecurity security, long timeoutMillis) {
        this.runId = runId;
        this.epochSeeds = epochSeeds;
        this.driver = driver;
        this.security = security;
        this.timeoutMillis = timeoutMillis;
    }

    /** One task's worker for the stage. */
    interface Worker extends AutoCloseable {
        /** Trains the stage's epoch {@code index} (0 = the first) on this partition; returns the seconds spent fitting. */
        double trainEpoch(int index);

        /** The networks every worker holds after the epoch, in the trainer's order. */
        List<NetworkState> networks();

        @Override
        default void close() {
        }
    }

    /** Sets up this task's worker on its partition's {@code contents}, once it has joined the stage's all-reduce. */
    abstract Worker start(BarrierTaskContext context, StageAllReduce allReduce, List<T> contents);

    @Override
    public scala.collection.Iterator<Integer> apply(scala.collection.Iterator<T> partition) {
        BarrierTaskContext context = BarrierTaskContext.get();
        int partitionId = context.partitionId();
        List<T> contents = new ArrayList<>();
        JavaConverters.asJavaIterator(partition).forEachRemaining(contents::add);
        try (StageAllReduce allReduce = StageAllReduce.join(context, runId, security, timeoutMillis);
             HandoverChannel.WorkerEnd reporter = partitionId == 0 ? HandoverChannel.WorkerEnd.connect(driver, security) : null;
             Worker worker = start(context, allReduce, contents)) {
            for (int index = 0; index < epochSeeds.length; index++) {
                Nd4j.getRandom().setSeed(epochSeeds[index] + 1_000_003L * partitionId);
                double fitSeconds = worker.trainEpoch(index);
                if (reporter == null) continue;
                reporter.send(new TrainingStage.Handover(index, fitSeconds, worker.networks()));
                if (index + 1 < epochSeeds.length && !reporter.awaitGo())
                    break; // the driver wants no more: the job is being cancelled, which ends the other tasks
            }
        } catch (IOException e) {
            throw new UncheckedIOException("training stage: lost the driver (" + driver.host() + ":" + driver.port() + ")", e);
        }
        return JavaConverters.asScalaIterator(Collections.<Integer>emptyIterator());
    }
}
