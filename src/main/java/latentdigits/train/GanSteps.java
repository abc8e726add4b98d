package latentdigits.train;

import latentdigits.model.DenseGan;
import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import latentdigits.util.FloatArrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The study's GAN step, the same in one JVM and on every Spark worker: D learns to tell a minibatch of data from as
 * many generated images (labels with noise), then G, on fresh z, learns to make D call its images data.
 */
public final class GanSteps {
    private final GanModel gan;
    private final LabelNoise labelNoise;
    /** The passes outside DL4J's graphs, same numbers; null: DL4J's own. */
    private final DenseGan dense;

    /**
     * Noisy targets for D: real images get labels uniform in [1 - real, 1], generated ones uniform in [0, generated]
     * (generated = 0 is one-sided smoothing).
     */
    public record LabelNoise(double real, double generated) implements java.io.Serializable {
        public LabelNoise {
            if (!(real >= 0 && real < 0.5))
                throw new IllegalArgumentException("--label-noise: expected 0 <= noise < 0.5, found " + real);
            if (!(generated >= 0 && generated < 0.5))
                throw new IllegalArgumentException("--generated-label-noise: expected 0 <= noise < 0.5, found " + generated);
        }
    }

    public GanSteps(GanModel gan, LabelNoise labelNoise) {
        this(gan, labelNoise, true);
    }

    /** @param outsideGraphs false: DL4J's own passes even where {@link DenseGan} has them (to compare the two) */
    GanSteps(GanModel gan, LabelNoise labelNoise, boolean outsideGraphs) {
        this.gan = gan;
        this.labelNoise = labelNoise;
        this.dense = outsideGraphs ? DenseGan.of(gan) : null;
    }

    public void step(INDArray real) {
        int n = real.rows();
        INDArray z = gan.randomLatent(n);
        INDArray fake = dense != null ? dense.generate(z) : gan.generate(z);
        INDArray images = FloatArrays.stackRows(real, fake);
        INDArray labels = FloatArrays.stackRows(realLabels(n, labelNoise.real()), fakeLabels(n, labelNoise.generated()));
        if (dense != null) dense.fitDiscriminator(images, labels);
        else gan.discriminator().fit(new org.nd4j.linalg.dataset.MultiDataSet(images, labels));
        GanNetworks.copyDiscriminator(gan.discriminator(), gan.generator());
        INDArray z2 = gan.randomLatent(n), asData = Nd4j.ones(DataType.FLOAT, n, 1);
        if (dense != null) dense.fitGenerator(z2, asData);
        else gan.generator().fit(new org.nd4j.linalg.dataset.MultiDataSet(z2, asData));
    }

    static INDArray realLabels(int n, double noise) {
        return Nd4j.rand(DataType.FLOAT, n, 1).muli(-noise).addi(1);
    }

    static INDArray fakeLabels(int n, double noise) {
        return Nd4j.rand(DataType.FLOAT, n, 1).muli(noise);
    }
}
