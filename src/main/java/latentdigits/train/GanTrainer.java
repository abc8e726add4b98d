package latentdigits.train;

import latentdigits.figures.GanFigures;
import latentdigits.model.GanModel;
import latentdigits.util.Numbers;
import latentdigits.util.RunDirectory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains the study's GAN: each epoch the engine runs the D step / G step over the training images ({@link GanSteps}),
 * then the trainer scores both players on 100 fixed training images and 100 fixed z, and draws G on 64 fixed z.
 */
public final class GanTrainer implements Trainer {
    /** Real images (and as many z) on which both players are scored after every epoch. */
    public static final int EVAL_IMAGES = 100;

    private final GanModel gan;
    private final TrainingEngine<GanModel> engine;
    private final Map<String, Object> provenance;
    private final INDArray evalReal;
    private final INDArray evalZ;
    private final INDArray fixedZ;

    /** @param evalImages {@value #EVAL_IMAGES} training images as G's targets would see them ([-1, 1]) */
    public GanTrainer(GanModel gan, TrainingEngine<GanModel> engine, INDArray evalImages, long seed, Map<String, Object> provenance) {
        this.gan = gan;
        this.engine = engine;
        this.provenance = provenance;
        this.evalReal = evalImages;
        Nd4j.getRandom().setSeed(seed);
        this.evalZ = gan.randomLatent(EVAL_IMAGES);
        this.fixedZ = gan.randomLatent(64);
    }

    @Override
    public long fitEpoch(int epoch, int epochs) {
        return engine.fitEpoch(gan, epoch, epochs);
    }

    @Override
    public void close() {
        engine.close();
    }

    @Override
    public Map<String, Double> evaluate() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("d_loss", Numbers.round(gan.discriminatorLoss(evalReal, evalZ), 4));
        m.put("g_loss", Numbers.round(gan.generatorLoss(evalZ), 4));
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

    /** G (with its frozen copy of D) and D, each with its own Adam state. */
    @Override
    public List<NetworkState> state() {
        return NetworkState.ofAll(gan.generator(), gan.discriminator());
    }

    @Override
    public void restore(List<NetworkState> networks) {
        NetworkState.applyAll(networks, gan.generator(), gan.discriminator());
    }
}
