package latentdigits.train;

import latentdigits.data.DigitBlock;
import latentdigits.figures.VaeFigures;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeScorer;
import latentdigits.util.Numbers;
import latentdigits.util.RunDirectory;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a VAE of either architecture: each epoch the engine minimises the negative ELBO over the training images,
 * then the trainer scores reconstruction (XENT) and KL on a fixed sample of training images and on the held-out
 * validation images (the study's Figure 1) and decodes 64 fixed draws of z.
 */
public final class VaeTrainer implements Trainer {
    private final VaeModel model;
    private final TrainingEngine<ComputationGraph> engine;
    private final DigitBlock trainSample;
    private final DigitBlock validation;
    private final VaeScorer scorer;
    private final INDArray fixedZ;
    private final Map<String, Object> provenance;
    private final String title;

    /**
     * @param trainSample training images scored after every epoch for the training curve
     * @param validation  held-out images scored after every epoch for the validation curve
     * @param seed        seeds the fixed z of the per-epoch sample sheets
     */
    public VaeTrainer(VaeModel model, TrainingEngine<ComputationGraph> engine, DigitBlock trainSample, DigitBlock validation,
                      int evalBatch, long seed, Map<String, Object> provenance, String title) {
        this.model = model;
        this.engine = engine;
        this.trainSample = trainSample;
        this.validation = validation;
        this.scorer = new VaeScorer(model, evalBatch, Runtime.getRuntime().availableProcessors());
        this.provenance = provenance;
        this.title = title;
        Nd4j.getRandom().setSeed(seed);
        this.fixedZ = Nd4j.randn(model.graph().getConfiguration().getDataType(), 64, model.latent());
    }

    @Override
    public long fitEpoch(int epoch, int epochs) {
        return engine.fitEpoch(model.graph(), epoch, epochs);
    }

    @Override
    public void close() {
        scorer.close();
        engine.close();
    }

    @Override
    public Map<String, Double> evaluate() {
        VaeModel.LossSums[] sums = scorer.lossSums(trainSample, validation);
        VaeModel.LossSums train = sums[0], val = sums[1];
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("train_xent", Numbers.round(train.meanXent(), 4));
        m.put("train_kl", Numbers.round(train.meanKl(), 4));
        m.put("val_xent", Numbers.round(val.meanXent(), 4));
        m.put("val_kl", Numbers.round(val.meanKl(), 4));
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

    @Override
    public List<NetworkState> state() {
        return NetworkState.ofAll(model.graph());
    }

    @Override
    public void restore(List<NetworkState> networks) {
        NetworkState.applyAll(networks, model.graph());
    }
}
