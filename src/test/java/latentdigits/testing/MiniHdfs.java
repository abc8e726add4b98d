package latentdigits.testing;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * An in-process HDFS (one NameNode, one DataNode) for tests, from hadoop-client-minicluster at Spark's Hadoop
 * version. Its storage lives under the given directory (a JUnit @TempDir); it binds to 127.0.0.1 on free ports.
 * Spark reaches it through {@link #uri()} ("hdfs://localhost:PORT"): hdfs:// paths need no Spark configuration.
 */
public final class MiniHdfs implements AutoCloseable {
    private final MiniDFSCluster cluster;

    private MiniHdfs(MiniDFSCluster cluster) {
        this.cluster = cluster;
    }

    public static MiniHdfs start(Path baseDir) throws IOException {
        Configuration conf = new Configuration();
        // Where the NameNode and DataNode keep their files; without it, ./target/test/data/<random>.
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.toAbsolutePath().toString());
        // Hadoop renames the calling thread ("Listener at localhost/PORT") while starting its RPC servers.
        Thread caller = Thread.currentThread();
        String callerName = caller.getName();
        try {
            MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf)
                    .numDataNodes(1)
                    .format(true)
                    .build();
            cluster.waitActive();
            return new MiniHdfs(cluster);
        } finally {
            caller.setName(callerName);
        }
    }

    /** hdfs://localhost:PORT, the NameNode's RPC address. */
    public URI uri() {
        return cluster.getURI();
    }

    /** A path on this file system, e.g. path("/data/x.txt") → hdfs://localhost:PORT/data/x.txt. */
    public String path(String absolutePath) {
        return uri().toString() + absolutePath;
    }

    public MiniDFSCluster cluster() {
        return cluster;
    }

    @Override
    public void close() {
        cluster.shutdown(true); // also deletes the base dir
    }
}
