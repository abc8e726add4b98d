package latentdigits.model;

import latentdigits.util.FloatArrays;

import latentdigits.data.DigitBlock;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GAN being trained or loaded: the discriminator graph and the generator graph (which holds a frozen copy of D).
 * The model file is the generator graph, so it carries G and D; a loaded model rebuilds D from that copy.
 */
public final class GanModel {
    public static final String KIND = "gan";
    private final GanNetworks.Spec spec;
    private final ComputationGraph discriminator;
    private final ComputationGraph generator;

    public GanModel(GanNetworks.Spec spec, ComputationGraph discriminator, ComputationGraph generator) {
        this.spec = spec;
        this.discriminator = discriminator;
        this.generator = generator;
    }

    public static GanModel create(GanNetworks.Spec spec) {
        ComputationGraph d = GanNetworks.discriminator(spec);
        ComputationGraph g = GanNetworks.generatorWithFrozenDiscriminator(spec);
        GanNetworks.copyDiscriminator(d, g);
        return new GanModel(spec, d, g);
    }

    public GanNetworks.Spec spec() {
        return spec;
    }

    public ComputationGraph discriminator() {
        return discriminator;
    }

    /** G followed by the frozen copy of D: fitting it moves only G. */
    public ComputationGraph generator() {
        return generator;
    }

    /** Real images [from, to) scaled to [-1, 1], the range of G's tanh. */
    public static INDArray realImages(DigitBlock block, int from, int to) {
        return VaeModel.pixels(block, from, to, -1f, 1f);
    }

    /** G(z) in [-1, 1], [n, 784]. */
    public INDArray generate(INDArray z) {
        // up to G's output only: the frozen copy of D after it is not needed here
        int generated = generator.getVertex(GanNetworks.GENERATED).getVertexIndex();
        return generator.feedForward(new INDArray[]{z}, generated, false, false).get(GanNetworks.GENERATED);
    }

    /** G(z) as pixel intensities in [0, 1], for figures and the sample job. */
    public INDArray pixels(INDArray z) {
        return generate(z).add(1).muli(0.5);
    }

    public INDArray randomLatent(int n) {
        return Nd4j.randn(DataType.FLOAT, n, spec.latent());
    }

    /** D's cross entropy on real images labelled 1 and generated ones labelled 0 (the study's D loss). */
    public double discriminatorLoss(INDArray real, INDArray z) {
        INDArray fake = generate(z);
        INDArray labels = FloatArrays.stackRows(Nd4j.ones(DataType.FLOAT, real.rows(), 1), Nd4j.zeros(DataType.FLOAT, fake.rows(), 1));
        return discriminator.score(new org.nd4j.linalg.dataset.MultiDataSet(FloatArrays.stackRows(real, fake), labels));
    }

    /** D's cross entropy on generated images labelled as data: the generator's loss. */
    public double generatorLoss(INDArray z) {
        return generator.score(new org.nd4j.linalg.dataset.MultiDataSet(z, Nd4j.ones(DataType.FLOAT, z.rows(), 1)));
    }

    public Map<String, Object> metadata(Map<String, Object> provenance) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", KIND);
        m.put("latent", spec.latent());
        m.put("hidden", spec.hidden());
        m.put("learning_rate", spec.learningRate());
        m.put("beta1", spec.beta1());
        m.put("seed", spec.seed());
        m.put("leaky_slope", spec.leakySlope());
        m.put("provenance", provenance);
        return m;
    }

    public byte[] toBytes(Map<String, Object> provenance) throws IOException {
        return ModelFiles.toBytes(generator, metadata(provenance));
    }

    public static GanModel fromLoaded(ModelFiles.Loaded loaded, String source) {
        Map<String, Object> m = ModelFiles.requireKind(loaded, KIND, "a GAN model", source);
        ComputationGraph g = loaded.graph();
        GanNetworks.Spec spec = new GanNetworks.Spec(((Number) m.get("latent")).intValue(), ((Number) m.get("hidden")).intValue(),
                (int) g.getLayer(GanNetworks.GENERATED).getParam("W").size(1), ((Number) m.get("learning_rate")).doubleValue(),
                ((Number) m.get("beta1")).doubleValue(), ((Number) m.get("seed")).longValue(), GanNetworks.leakySlope(g));
        ComputationGraph d = GanNetworks.discriminator(spec);
        GanNetworks.copyDiscriminator(g, d);
        return new GanModel(spec, d, g);
    }
}
