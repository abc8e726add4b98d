package latentdigits.runtime;

import latentdigits.data.DigitBlock;
import latentdigits.figures.VaeFigures;
import latentdigits.model.CnnVae;
import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeArchitecture;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.train.GanSteps;
import latentdigits.util.RunDirectory;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Random;

/**
 * Loads the classes the embedded jobs load, so that the JVM can keep them in a class-data archive
 * ({@code -XX:ArchiveClassesAtExit}, which {@code submit.sh} makes once per build and maps into every embedded job's
 * JVM: a launch then reads Spark's, DL4J's and Scala's classes from the archive instead of parsing and verifying them
 * from the jars). What it runs does not matter beyond the classes it touches: a local Spark job, each network fitting
 * a minibatch of random digits, a figure encoded as PNG.
 */
public final class ClassDataWarmUp {
    private ClassDataWarmUp() {
    }

    public static void main(String[] args) throws Exception {
        SparkSession session = SparkRuntime.session("latent-digits class warm-up", "local[1]");
        try {
            JavaSparkContext jsc = SparkRuntime.context(session);
            long count = jsc.parallelize(List.of(1, 2, 3, 4), 2).map(x -> x + 1).collect().size();
            if (count != 4) throw new IllegalStateException("warm-up Spark job: expected 4 rows, found " + count);
        } finally {
            session.stop();
        }
        DigitBlock digits = randomDigits(64);
        for (VaeArchitecture arch : new VaeArchitecture[]{new MlpVae(), new CnnVae()}) {
            VaeModel vae = VaeModel.create(new VaeNetworks.Spec(arch, 2, 1e-3, 1, DataType.FLOAT));
            vae.graph().fit(VaeModel.trainingBatch(digits, 0, 32, 2));
            vae.lossSums(digits, 32);
            RunDirectory.png(VaeFigures.samples(vae, Nd4j.randn(DataType.FLOAT, 4, 2), "warm-up"));
        }
        GanModel gan = GanModel.create(GanNetworks.Spec.study(1e-3, 0.5, 1));
        new GanSteps(gan, new GanSteps.LabelNoise(0.3, 0)).step(Nd4j.rand(DataType.FLOAT, 8, 784));
    }

    private static DigitBlock randomDigits(int n) {
        Random random = new Random(1);
        byte[] pixels = new byte[n * 784];
        byte[] labels = new byte[n];
        random.nextBytes(pixels);
        for (int i = 0; i < n; i++) labels[i] = (byte) random.nextInt(10);
        return DigitBlock.contiguous(0, pixels, labels);
    }
}
