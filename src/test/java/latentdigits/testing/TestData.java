package latentdigits.testing;

import latentdigits.data.MnistFetcher;
import org.apache.hadoop.conf.Configuration;

import java.nio.file.Path;

/** Real MNIST for integration tests: fetched (and verified) by the project's own fetcher into data/mnist once. */
public final class TestData {
    private static String dir;

    private TestData() {
    }

    /** {@code n} images of uniformly random pixels (all labelled 0), drawn with {@code seed}. */
    public static latentdigits.data.DigitBlock randomDigits(int n, long seed) {
        byte[] px = new byte[n * 784];
        new java.util.Random(seed).nextBytes(px);
        return latentdigits.data.DigitBlock.contiguous(0, px, new byte[n]);
    }

    /** An untrained MLP VAE (2-D latent, seeded) written to DIR/model.zip, as train-vae writes it; returns the file. */
    public static Path untrainedVae(Path dir, long seed) throws java.io.IOException {
        latentdigits.model.VaeModel vae = latentdigits.model.VaeModel.create(new latentdigits.model.VaeNetworks.Spec(
                new latentdigits.model.MlpVae(), 2, 1e-3, seed, org.nd4j.linalg.api.buffer.DataType.FLOAT));
        Path zip = java.nio.file.Files.createDirectories(dir).resolve("model.zip");
        java.nio.file.Files.write(zip, vae.toBytes(java.util.Map.of("test", true)));
        return zip;
    }

    public static synchronized String mnist() throws Exception {
        if (dir == null) {
            String project = System.getProperty("latentdigits.project.dir", ".");
            String target = Path.of(project, "data", "mnist").toString();
            System.out.println(new MnistFetcher(new Configuration()).fetch(target));
            dir = target;
        }
        return dir;
    }
}
