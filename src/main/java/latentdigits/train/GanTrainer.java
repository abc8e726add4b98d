package latentdigits.train;

import latentdigits.data.DigitBlock;
import latentdigits.figures.GanFigures;
import latentdigits.model.GanModel;
import latentdigits.util.RunDirectory;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Trains the GAN one epoch at a time: on Spark, in barrier stages whose workers average both players' gradients at
 * every step ({@link GanRounds}; by default all of a run's epochs in one stage, as for the VAE); or, as the reference, the
 * same steps in this JVM. A step sees the same
 * number of real images either way: P workers with batch / P images each and averaged gradients make the same Adam
 * step as one trainer with the whole batch (a test checks this), so the GAN's dynamics do not depend on P.
 */
public final class GanTrainer implements EpochTrainer {
    /**
     * @param batch      real images per step over all workers, as in the study's single trainer: on Spark each of the
     *                   P workers takes batch / P of them (rounded up), and their gradients are averaged
     * @param labelNoise D's noisy targets ({@link GanSteps.LabelNoise})
     * @param epochsPerStage epochs one Spark barrier stage trains, 0 for all of the run's
     */
    public record Settings(Engine engine, int batch, GanSteps.LabelNoise labelNoise, long seed, int epochsPerStage) {
        public Settings {
            if (batch < 1) throw new IllegalArgumentException("--batch: expected at least 1, found " + batch);
            if (epochsPerStage < 0) throw new IllegalArgumentException("--epochs-per-stage: expected 0 (all) or more, found " + epochsPerStage);
        }
    }

    private static final int EVAL_IMAGES = 100;

    private final JavaSparkContext jsc;
    private final GanModel gan;
    private final TrainingShards shards;
    private final Settings settings;
    private final Map<String, Object> provenance;
    private final String runId = java.util.UUID.randomUUID().toString();
    private final Random stageSeeds;
    private final DigitBlock localTrain;
    private final GanSteps localSteps;
    private final EpochStage.Sequence<GanState> stages;
    private int stageCount;
    private final INDArray evalReal;
    private final INDArray evalZ;
    private final INDArray fixedZ;

    public GanTrainer(JavaSparkContext jsc, GanModel gan, TrainingShards shards, Settings settings, Map<String, Object> provenance) {
        this.jsc = jsc;
        this.gan = gan;
        this.shards = shards;
        this.settings = settings;
        this.provenance = provenance;
        this.stageSeeds = new Random(settings.seed());
        this.evalReal = GanModel.realImages(shards.trainSample(EVAL_IMAGES), 0, EVAL_IMAGES);
        Nd4j.getRandom().setSeed(settings.seed());
        this.evalZ = gan.randomLatent(EVAL_IMAGES);
        this.fixedZ = gan.randomLatent(64);
        this.localTrain = settings.engine() == Engine.JVM ? shards.trainSample(Integer.MAX_VALUE) : null;
        this.localSteps = new GanSteps(gan, settings.labelNoise());
        this.stages = new EpochStage.Sequence<>(settings.epochsPerStage(), this::startEpochs);
    }

    @Override
    public long fitEpoch(int epoch, int epochs) {
        if (settings.engine() == Engine.JVM) {
            for (var batches = TrainingShards.oneJvmEpoch(localTrain, settings.seed(), epoch, settings.batch(), GanModel::realImages);
                 batches.hasNext(); )
                localSteps.step(batches.next());
            return shards.trainCount();
        }
        stages.next(epoch, epochs).networks().applyTo(gan);
        return shards.trainCount();
    }

    private EpochStage<GanState> startEpochs(int firstEpoch, int count) {
        long[] seeds = EpochStage.epochSeeds(stageSeeds, count);
        Broadcast<GanState> state = jsc.broadcast(GanState.of(gan));
        TrainingShards.EpochCutter<DigitBlock, INDArray> cut = TrainingShards.epochsFrom(firstEpoch, settings.seed(), perWorkerBatch(), GanModel::realImages);
        return new EpochStage<>(jsc, shards.blocks(), runId + "/" + (++stageCount), count,
                driver -> new GanRounds<>(state, gan.spec(), settings.labelNoise(), runId, seeds, cut, driver));
    }

    @Override
    public void close() {
        stages.close();
    }

    /** Each worker's share of a step's real images. */
    int perWorkerBatch() {
        return (settings.batch() + shards.partitions() - 1) / shards.partitions();
    }

    @Override
    public Map<String, Double> evaluate() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("d_loss", EpochLoop.round(gan.discriminatorLoss(evalReal, evalZ), 4));
        m.put("g_loss", EpochLoop.round(gan.generatorLoss(evalZ), 4));
        return m;
    }

    @Override
    public String describe(Map<String, Double> m) {
        return String.format("D loss %.3f | G loss %.3f", m.get("d_loss"), m.get("g_loss"));
    }

    @Override
    public void writeEpochFigures(RunDirectory run, int epoch) throws IOException {
        run.writePng(String.format("figures/samples-epoch-%03d.png", epoch),
                GanFigures.samples(gan, fixedZ, 8, "GAN, epoch " + epoch + ": G on 64 fixed z ~ N(0, I)"));
    }

    @Override
    public byte[] modelBytes() throws IOException {
        return gan.toBytes(provenance);
    }
}
