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
