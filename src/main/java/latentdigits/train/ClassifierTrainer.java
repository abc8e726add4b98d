package latentdigits.train;

import latentdigits.data.DigitBlock;
import latentdigits.model.DigitClassifier;
import latentdigits.util.Numbers;
import latentdigits.util.RunDirectory;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Trains the digit classifier that judges generated samples, scoring it on the held-out images after every epoch. */
public final class ClassifierTrainer implements Trainer {
    private final DigitClassifier classifier;
    private final TrainingEngine<ComputationGraph> engine;
    private final DigitBlock validation;
    private final Map<String, Object> provenance;

    public ClassifierTrainer(DigitClassifier classifier, TrainingEngine<ComputationGraph> engine, DigitBlock validation,
                             Map<String, Object> provenance) {
        this.classifier = classifier;
        this.engine = engine;
        this.validation = validation;
        this.provenance = provenance;
    }

    @Override
    public long fitEpoch(int epoch, int epochs) {
        return engine.fitEpoch(classifier.graph(), epoch, epochs);
    }

    @Override
    public void close() {
        engine.close();
    }

    @Override
    public Map<String, Double> evaluate() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_loss", Numbers.round(classifier.graph().score(DigitClassifier.trainingBatch(validation, 0, validation.size())), 4));
        m.put("val_accuracy", Numbers.round(classifier.accuracy(validation, 1000), 4));
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

    @Override
    public List<NetworkState> state() {
        return NetworkState.ofAll(classifier.graph());
    }

    @Override
    public void restore(List<NetworkState> networks) {
        NetworkState.applyAll(networks, classifier.graph());
    }

    public double testAccuracy(DigitBlock test) {
        return classifier.accuracy(test, 1000);
    }
}
