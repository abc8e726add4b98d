package latentdigits.train;

import latentdigits.util.HadoopFs;
import latentdigits.data.IdxHeader;
import latentdigits.data.MnistFetcher;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Where a run came from: code version, data checksums, library versions, Spark master and partitions, seed. */
public final class Provenance {
    private Provenance() {
    }

    public static Map<String, Object> of(SparkSession spark, int partitions, Long seed, List<IdxHeader> dataFiles,
                                         Configuration conf, String[] args) throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("git_commit", gitCommit());
        p.put("started_at", Instant.now().toString());
        p.put("host", hostName());
        p.put("command_line", String.join(" ", args));
        Map<String, String> data = new LinkedHashMap<>();
        for (IdxHeader h : dataFiles) {
            Path path = new Path(h.file());
            data.put(h.file(), MnistFetcher.sha256(HadoopFs.of(path, conf).open(path)));
        }
        p.put("data_sha256", data);
        Map<String, String> versions = new LinkedHashMap<>(buildVersions());
        versions.put("spark_runtime", spark.version());
        versions.put("java", System.getProperty("java.version"));
        p.put("versions", versions);
        p.put("spark_master", spark.sparkContext().master());
        p.put("spark_default_parallelism", spark.sparkContext().defaultParallelism());
        p.put("partitions", partitions);
        if (seed != null) p.put("seed", seed);
        p.put("omp_num_threads", System.getenv().getOrDefault("OMP_NUM_THREADS", "(unset)"));
        // heap, young generation and ND4J settings change the speed (docs/design.md), so a run records them
        p.put("driver_jvm_flags", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(f -> !f.startsWith("--add-opens")).toList());
        return p;
    }

    /** Set by submit.sh (-Dlatentdigits.git.commit); else asks git in the working directory. */
    static String gitCommit() {
        String fromLauncher = System.getProperty("latentdigits.git.commit");
        if (fromLauncher != null && !fromLauncher.isBlank()) return fromLauncher;
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() == 0 && out.matches("[0-9a-f]{40}")) {
                Process dirty = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").start();
                String changes = new String(dirty.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                dirty.waitFor();
                return changes.isEmpty() ? out : out + "-dirty";
            }
        } catch (IOException | InterruptedException ignored) {
            // not a git checkout (e.g. on a cluster): reported as unknown below
        }
        return "unknown";
    }

    public static Map<String, String> buildVersions() {
        Properties props = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/latentdigits-build.properties")) {
            if (in != null) props.load(in);
        } catch (IOException ignored) {
            // reported as missing keys
        }
        Map<String, String> v = new LinkedHashMap<>();
        for (String key : List.of("project", "dl4j", "spark_build", "scala")) v.put(key, props.getProperty(key, "unknown"));
        return v;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
