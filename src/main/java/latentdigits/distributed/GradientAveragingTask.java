package latentdigits.distributed;

import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import latentdigits.train.GanSteps;
import latentdigits.train.NetworkState;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A task of the GAN's training stage ({@link GradientAveraging}): it runs the study's D step / G step on its own
 * minibatches, and both players' gradients are averaged over all tasks inside each fit() ({@link AllReducedGradients}),
 * so all workers hold the same two networks throughout.
 */
final class GradientAveragingTask<T> extends StageTask<T> {
    private static final ThreadLocal<Map.Entry<String, GanModel>> CACHE = new ThreadLocal<>();

    private final Broadcast<List<NetworkState>> state;
    private final GanNetworks.Spec spec;
    private final GanSteps.LabelNoise labelNoise;
    private final TrainingShards.EpochCutter<T, INDArray> epochs;

    /** @param epochSeeds one per epoch of the stage: the workers' z and label noise */
    GradientAveragingTask(Broadcast<List<NetworkState>> state, GanNetworks.Spec spec, GanSteps.LabelNoise labelNoise, String runId,
                          long[] epochSeeds, TrainingShards.EpochCutter<T, INDArray> epochs, HandoverChannel.Address driver,
                          LinkSecurity security, long timeoutMillis) {
        super(runId, epochSeeds, driver, security, timeoutMillis);
        this.state = state;
        this.spec = spec;
        this.labelNoise = labelNoise;
        this.epochs = epochs;
    }

    @Override
    Worker start(BarrierTaskContext context, StageAllReduce allReduce, List<T> contents) {
        // built before the epochs' seeds are set (building reseeds ND4J's random generator)
        GanModel gan = network();
        NetworkState.applyAll(state.getValue(), gan.generator(), gan.discriminator());
        AllReducedGradients gradients = new AllReducedGradients(allReduce);
        gan.discriminator().setListeners(gradients);
        gan.generator().setListeners(gradients);
        GanSteps steps = new GanSteps(gan, labelNoise);
        int partitionId = context.partitionId(), tasks = context.getTaskInfos().length;
        return new Worker() {
            @Override
            public double trainEpoch(int index) {
                long start = System.nanoTime();
                Iterator<INDArray> minibatches = epochs.minibatches(contents, partitionId, index);
                int rounds = mostMinibatches(allReduce, tasks, partitionId, remaining(minibatches));
                INDArray last = Nd4j.zeros(DataType.FLOAT, 1, spec.pixels());
                for (int round = 0; round < rounds; round++) {
                    boolean mine = minibatches.hasNext();
                    // a worker with no minibatch left replays its last one without contributing, to apply the others' step
                    INDArray real = mine ? minibatches.next() : last;
                    gradients.contributes = mine;
                    steps.step(real);
                    last = real;
                }
                return (System.nanoTime() - start) / 1e9;
            }

            @Override
            public List<NetworkState> networks() {
                return NetworkState.ofAll(gan.generator(), gan.discriminator());
            }

            @Override
            public void close() {
                gan.discriminator().setListeners();
                gan.generator().setListeners();
            }
        };
    }

    /**
     * The most minibatches any task has this epoch, the epoch's number of steps: agreed once at its start (each task's
     * count in its own slot of one all-reduce), so the steps themselves need no round to learn whether any task is left.
     */
    static int mostMinibatches(StageAllReduce allReduce, int tasks, int partitionId, int mine) {
        float[] counts = new float[tasks];
        counts[partitionId] = mine; // exact: a partition's minibatches are far fewer than 2^24
        float[] all = allReduce.sum(counts).values();
        int most = 0;
        for (float count : all) most = Math.max(most, (int) count);
        return most;
    }

    private static int remaining(Iterator<?> minibatches) {
        if (minibatches instanceof latentdigits.data.Minibatches<?> cut) return cut.remaining();
        throw new IllegalStateException("GAN training: expected an epoch of Minibatches, found " + minibatches.getClass().getName());
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
