package latentdigits.testing;

import latentdigits.data.MnistFetcher;
import org.apache.hadoop.conf.Configuration;

import java.nio.file.Path;

/** Real MNIST for integration tests: fetched (and verified) by the project's own fetcher into data/mnist once. */
public final class TestData {
    private static String dir;

    private TestData() {
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
