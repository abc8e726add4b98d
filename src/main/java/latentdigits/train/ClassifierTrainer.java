package latentdigits.train;

import latentdigits.data.DigitBlock;
import latentdigits.model.DigitClassifier;
import latentdigits.util.RunDirectory;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.LinkedHashMap;
import java.util.Map;

/** Trains the digit classifier with the VAEs' machinery ({@link GraphEpochs}); scores it on the held-out images. */
public final class ClassifierTrainer implements EpochTrainer {
    private final DigitClassifier classifier;
    private final TrainingShards shards;
    private final GraphEpochs epochs;
    private final Map<String, Object> provenance;

    public ClassifierTrainer(JavaSparkContext jsc, DigitClassifier classifier, TrainingShards shards, Engine engine, int batch,
                             long seed, Map<String, Object> provenance) {
        this.classifier = classifier;
        this.shards = shards;
        this.provenance = provenance;
        // averaging after every minibatch with the sum of the workers' updates: as the VAE (docs/design.md)
        this.epochs = new GraphEpochs(jsc, classifier.graph(), shards, engine, batch, new AveragingRounds(1, shards.partitions(), true, true, AveragingRounds.DEFAULT_EPOCHS_PER_STAGE), seed,
                DigitClassifier::trainingBatch);
    }

    @Override
    public long fitEpoch(int epoch, int count) {
        return epochs.fitEpoch(epoch, count);
    }

    @Override
    public void close() {
        epochs.close();
    }

    @Override
    public Map<String, Double> evaluate() {
        Map<String, Double> m = new LinkedHashMap<>();
        DigitBlock validation = shards.validation();
        m.put("val_loss", EpochLoop.round(classifier.graph().score(DigitClassifier.trainingBatch(validation, 0, validation.size())), 4));
        m.put("val_accuracy", EpochLoop.round(classifier.accuracy(validation, 1000), 4));
        return m;
    }

    @Override
    public String describe(Map<String, Double> m) {
        return String.format("validation loss %.4f, accuracy %.4f", m.get("val_loss"), m.get("val_accuracy"));
    }

    @Override
    public void writeEpochFigures(RunDirectory run, int epoch) {
        // no per-epoch figures: metrics.jsonl has the curve
    }

    @Override
    public byte[] modelBytes() throws java.io.IOException {
        return classifier.toBytes(provenance, Double.NaN);
    }

    public double testAccuracy(DigitBlock test) {
        return classifier.accuracy(test, 1000);
    }
}
