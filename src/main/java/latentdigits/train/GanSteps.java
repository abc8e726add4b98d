package latentdigits.train;

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
        this.gan = gan;
        this.labelNoise = labelNoise;
    }

    public void step(INDArray real) {
        int n = real.rows();
        INDArray fake = gan.generate(gan.randomLatent(n));
        gan.discriminator().fit(new org.nd4j.linalg.dataset.MultiDataSet(FloatArrays.stackRows(real, fake),
                FloatArrays.stackRows(realLabels(n, labelNoise.real()), fakeLabels(n, labelNoise.generated()))));
        GanNetworks.copyDiscriminator(gan.discriminator(), gan.generator());
        gan.generator().fit(new org.nd4j.linalg.dataset.MultiDataSet(gan.randomLatent(n), Nd4j.ones(DataType.FLOAT, n, 1)));
    }

    static INDArray realLabels(int n, double noise) {
        return Nd4j.rand(DataType.FLOAT, n, 1).muli(-noise).addi(1);
    }

    static INDArray fakeLabels(int n, double noise) {
        return Nd4j.rand(DataType.FLOAT, n, 1).muli(noise);
    }
}
