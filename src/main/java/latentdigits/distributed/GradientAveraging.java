package latentdigits.distributed;

import latentdigits.model.GanModel;
import latentdigits.train.GanSteps;
import latentdigits.train.NetworkState;
import latentdigits.train.TrainingEngine;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.util.List;
import java.util.UUID;

/**
 * Trains the GAN on Spark as synchronous data-parallel Adam: every worker runs the study's D step / G step on its share
 * of each step's images and both players' gradients are averaged over the workers before Adam applies them
 * ({@link GradientAveragingTask}), so every worker takes the step one trainer would take on the whole batch. Averaging
 * parameters after separate Adam steps, as the VAE does, collapsed this GAN (docs/experiments/gan.md).
 */
public final class GradientAveraging implements TrainingEngine<GanModel> {
    private final JavaSparkContext jsc;
    private final TrainingShards shards;
    private final int batch;
    private final GanSteps.LabelNoise labelNoise;
    private final long seed;
    private final String runId = UUID.randomUUID().toString();
    private final EpochSeeds epochSeeds;
    private final StagePlan plan;
    private final TrainingStages stages;
    private final LinkSecurity security;
    private GanModel gan;
    private int stageCount;

    /**
     * @param batch          real images per step over all workers, as in the study's single trainer: each of the P
     *                       workers takes batch / P of them (rounded up)
     */
    public GradientAveraging(JavaSparkContext jsc, TrainingShards shards, int batch, GanSteps.LabelNoise labelNoise, StagePlan plan,
                             long seed) {
        this.jsc = jsc;
        this.plan = plan;
        this.shards = shards;
        this.batch = batch;
        this.labelNoise = labelNoise;
        this.seed = seed;
        this.epochSeeds = new EpochSeeds(seed);
        this.security = LinkSecurity.forRun(jsc.getConf());
        this.stages = new TrainingStages(plan, jsc.sc(), shards.partitions(), this::startStage);
    }

    @Override
    public long fitEpoch(GanModel gan, int epoch, int epochs) {
        this.gan = gan;
        NetworkState.applyAll(stages.next(epoch, epochs).networks(), gan.generator(), gan.discriminator());
        return shards.trainCount();
    }

    private TrainingStage startStage(int firstEpoch, int count) {
        long[] seeds = epochSeeds.forEpochs(firstEpoch, count);
        Broadcast<List<NetworkState>> state = jsc.broadcast(NetworkState.ofAll(gan.generator(), gan.discriminator()));
        TrainingShards.EpochCutter<latentdigits.data.DigitBlock, org.nd4j.linalg.api.ndarray.INDArray> cut =
                TrainingShards.epochsFrom(firstEpoch, seed, perWorkerBatch(), GanModel::realImages);
        return new TrainingStage(jsc, shards.blocks(), runId + "/" + (++stageCount), count, security,
                driver -> new GradientAveragingTask<>(state, gan.spec(), labelNoise, runId, seeds, cut, driver, security, plan.timeoutMillis()));
    }

    /** Each worker's share of a step's real images. */
    int perWorkerBatch() {
        return (batch + shards.partitions() - 1) / shards.partitions();
    }

    @Override
    public void close() {
        stages.close();
    }
}
