package latentdigits.train;

import latentdigits.data.DigitBlock;
import latentdigits.figures.VaeFigures;
import latentdigits.model.VaeModel;
import latentdigits.util.RunDirectory;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trains any VAE architecture, one epoch at a time, either on Spark with DL4J's ParameterAveragingTrainingMaster (as corrected by {@link AveragingTrainingMaster})
 * (each worker fits {@code averagingFrequency} minibatches, then parameters and Adam state are averaged) or, as the
 * reference, with plain fit() in this JVM on exactly the same minibatches.
 */
public final class VaeTrainer implements EpochTrainer {
    /** @param averaging how the Spark engine's averaging rounds run (ignored by the one-JVM engine) */
    public record Settings(Engine engine, int batch, AveragingRounds averaging, long seed, int evalLimit, int evalBatch) {
    }

    private final VaeModel model;
    private final TrainingShards shards;
    private final Settings settings;
    private final GraphEpochs epochs;
    private final DigitBlock trainSample;
    private final INDArray fixedZ;
    private final Map<String, Object> provenance;
    private final String title;

    public VaeTrainer(JavaSparkContext jsc, VaeModel model, TrainingShards shards, Settings settings,
                      Map<String, Object> provenance, String title) {
        this.model = model;
        this.shards = shards;
        this.settings = settings;
        this.provenance = provenance;
        this.title = title;
        this.trainSample = shards.trainSample(settings.evalLimit());
        Nd4j.getRandom().setSeed(settings.seed());
        this.fixedZ = Nd4j.randn(model.graph().getConfiguration().getDataType(), 64, model.latent());
        int latent = model.latent();
        this.epochs = new GraphEpochs(jsc, model.graph(), shards, settings.engine(), settings.batch(), settings.averaging(), settings.seed(),
                (block, from, to) -> VaeModel.trainingBatch(block, from, to, latent));
    }

    @Override
    public long fitEpoch(int epoch, int count) {
        return epochs.fitEpoch(epoch, count);
    }

    @Override
    public void close() {
        epochs.close();
    }

    /** Partition 0's seconds inside fit() in the last epoch, with barrier rounds on Spark (NaN otherwise). */
    public double workerFitSeconds() {
        return epochs.workerFitSeconds();
    }

    @Override
    public Map<String, Double> evaluate() {
        VaeModel.LossSums train = model.lossSums(trainSample, settings.evalBatch());
        VaeModel.LossSums val = model.lossSums(shards.validation(), settings.evalBatch());
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("train_xent", EpochLoop.round(train.meanXent(), 4));
        m.put("train_kl", EpochLoop.round(train.meanKl(), 4));
        m.put("val_xent", EpochLoop.round(val.meanXent(), 4));
        m.put("val_kl", EpochLoop.round(val.meanKl(), 4));
        return m;
    }

    @Override
    public String describe(Map<String, Double> m) {
        return String.format("train xent %.2f kl %.2f | val xent %.2f kl %.2f (nelbo %.2f)",
                m.get("train_xent"), m.get("train_kl"), m.get("val_xent"), m.get("val_kl"), m.get("val_xent") + m.get("val_kl"));
    }

    @Override
    public void writeEpochFigures(RunDirectory run, int epoch) throws IOException {
        run.writePng(String.format("figures/samples-epoch-%03d.png", epoch),
                VaeFigures.samples(model, fixedZ, title + ", epoch " + epoch + ": 64 fixed z ~ N(0, I)"));
    }

    @Override
    public byte[] modelBytes() throws IOException {
        return model.toBytes(provenance);
    }

    /** The Spark master in use, or null for the single-JVM engine. */
    public AveragingTrainingMaster master() {
        return epochs.master();
    }

}
