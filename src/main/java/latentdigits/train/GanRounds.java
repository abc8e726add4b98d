package latentdigits.train;

import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Epochs of the GAN inside one Spark barrier stage: every task runs the study's D step / G step on its own
 * minibatches, and both players' gradients are averaged over all tasks inside each fit() ({@link AllReducedGradients}),
 * so all workers hold the same two networks throughout. When an epoch ends partition 0 hands them to the driver
 * ({@link EpochReports}) and waits while the driver scores, draws and checkpoints them, as {@link BarrierRounds} does
 * for the VAEs. Each task seeds its z and label noise from the epoch's seed and its partition, so a seeded run repeats
 * whatever the epochs per stage.
 */
final class GanRounds<T> extends AbstractFunction1<scala.collection.Iterator<T>, scala.collection.Iterator<Integer>>
        implements Serializable {
    private static final ThreadLocal<Map.Entry<String, GanModel>> CACHE = new ThreadLocal<>();
    private static final float[] ONE = {1f};

    private final Broadcast<GanState> state;
    private final GanNetworks.Spec spec;
    private final GanSteps.LabelNoise labelNoise;
    private final String runId;
    private final long[] epochSeeds;
    private final TrainingShards.EpochCutter<T, INDArray> epochs;
    private final EpochReports.Address driver;

    /** @param epochSeeds one per epoch of the stage: the workers' z and label noise */
    GanRounds(Broadcast<GanState> state, GanNetworks.Spec spec, GanSteps.LabelNoise labelNoise, String runId, long[] epochSeeds,
              TrainingShards.EpochCutter<T, INDArray> epochs, EpochReports.Address driver) {
        this.state = state;
        this.spec = spec;
        this.labelNoise = labelNoise;
        this.runId = runId;
        this.epochSeeds = epochSeeds;
        this.epochs = epochs;
        this.driver = driver;
    }

    @Override
    public scala.collection.Iterator<Integer> apply(scala.collection.Iterator<T> partition) {
        BarrierTaskContext context = BarrierTaskContext.get();
        int partitionId = context.partitionId();
        List<T> contents = new ArrayList<>();
        JavaConverters.asJavaIterator(partition).forEachRemaining(contents::add);
        try (StageAllReduce allReduce = StageAllReduce.join(context, runId);
             EpochReports.Reporter reporter = partitionId == 0 ? EpochReports.Reporter.connect(driver) : null) {
            GanModel gan = network();
            state.getValue().applyTo(gan);
            AllReducedGradients gradients = new AllReducedGradients(allReduce);
            gan.discriminator().setListeners(gradients);
            gan.generator().setListeners(gradients);
            try {
                GanSteps steps = new GanSteps(gan, labelNoise);
                for (int index = 0; index < epochSeeds.length; index++) {
                    // after building the networks (which reseeds): fresh z and label noise per worker and epoch
                    Nd4j.getRandom().setSeed(epochSeeds[index] + 1_000_003L * partitionId);
                    long start = System.nanoTime();
                    trainEpoch(epochs.minibatches(contents, partitionId, index), allReduce, gradients, steps);
                    if (reporter != null) {
                        reporter.send(new EpochReports.EpochReport(index, (System.nanoTime() - start) / 1e9, EpochStage.serialise(GanState.of(gan))));
                        if (index + 1 < epochSeeds.length && !reporter.awaitGo())
                            break; // the driver wants no more: the job is being cancelled, which ends the other tasks
                    }
                }
            } finally {
                gan.discriminator().setListeners();
                gan.generator().setListeners();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("GAN training stage: lost the driver (" + driver.host() + ":" + driver.port() + ")", e);
        }
        return JavaConverters.asScalaIterator(Collections.<Integer>emptyIterator());
    }

    private void trainEpoch(Iterator<INDArray> minibatches, StageAllReduce allReduce, AllReducedGradients gradients, GanSteps steps) {
        INDArray last = Nd4j.zeros(DataType.FLOAT, 1, spec.pixels());
        while (true) {
            boolean mine = minibatches.hasNext();
            if (allReduce.sum(mine ? ONE : null, 0).count() == 0) break; // every worker has run out
            // a worker with no minibatch left replays its last one without contributing, to apply the others' step
            INDArray real = mine ? minibatches.next() : last;
            gradients.contributes = mine;
            steps.step(real);
            last = real;
        }
    }

    /** This executor thread's networks for this run, built once (building reseeds ND4J's random generator). */
    private GanModel network() {
        Map.Entry<String, GanModel> cached = CACHE.get();
        if (cached != null && cached.getKey().equals(runId)) return cached.getValue();
        GanModel gan = GanModel.create(spec);
        CACHE.set(Map.entry(runId, gan));
        return gan;
    }
}
