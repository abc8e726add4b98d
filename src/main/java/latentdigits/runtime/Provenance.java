package latentdigits.runtime;

import latentdigits.data.IdxHeader;
import latentdigits.data.MnistFetcher;
import latentdigits.util.HadoopFs;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Where a run came from: the code's version, each data file (path, size, modification time, SHA-256), the library
 * versions, the Spark master and partitions, the seed and the JVM settings that change speed. Written into every run's
 * config.json and model.zip; {@link #toMap()} is that JSON object.
 *
 * @param seed           null for a job that draws nothing at random
 * @param driverJvmFlags the driver's JVM flags except Java's module openings (heap, collector and ND4J settings
 *                       change the speed, so a run records them)
 */
public record Provenance(String gitCommit, Instant startedAt, String host, String commandLine, List<DataFile> dataFiles,
                         Versions versions, String sparkMaster, int sparkDefaultParallelism, int partitions, Long seed,
                         String ompNumThreads, List<String> driverJvmFlags) {

    /** One input file as it was read: its Hadoop path, size, last modification time and SHA-256 of its bytes. */
    public record DataFile(String path, long bytes, Instant modified, String sha256) {
        static DataFile of(String file, Configuration conf) throws IOException {
            Path path = new Path(file);
            FileSystem fs = HadoopFs.of(path, conf);
            FileStatus status = fs.getFileStatus(path);
            try (InputStream in = fs.open(path)) {
                return new DataFile(file, status.getLen(), Instant.ofEpochMilli(status.getModificationTime()), MnistFetcher.sha256(in));
            }
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", path);
            m.put("bytes", bytes);
            m.put("modified", modified.toString());
            m.put("sha256", sha256);
            return m;
        }
    }

    /** The versions the code was built with and runs on. */
    public record Versions(String project, String dl4j, String sparkBuild, String scala, String sparkRuntime, String java) {
        /** The build's versions (from the jar's latentdigits-build.properties), with {@code sparkRuntime} and this JVM's. */
        public static Versions current(String sparkRuntime) {
            Properties props = new Properties();
            try (InputStream in = Provenance.class.getResourceAsStream("/latentdigits-build.properties")) {
                if (in != null) props.load(in);
            } catch (IOException ignored) {
                // reported as unknown
            }
            return new Versions(props.getProperty("project", "unknown"), props.getProperty("dl4j", "unknown"),
                    props.getProperty("spark_build", "unknown"), props.getProperty("scala", "unknown"), sparkRuntime,
                    System.getProperty("java.version"));
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("project", project);
            m.put("dl4j", dl4j);
            m.put("spark_build", sparkBuild);
            m.put("scala", scala);
            m.put("spark_runtime", sparkRuntime);
            m.put("java", java);
            return m;
        }
    }

    /** This run's provenance: {@code dataFiles} are read once more for their checksums. */
    public static Provenance of(SparkSession spark, int partitions, Long seed, List<IdxHeader> dataFiles, Configuration conf,
                                String[] args) throws IOException {
        return ofFiles(spark, partitions, seed, dataFiles.stream().map(IdxHeader::file).toList(), conf, args);
    }

    /** The same, for data files named by path. */
    public static Provenance ofFiles(SparkSession spark, int partitions, Long seed, List<String> dataFiles, Configuration conf,
                                     String[] args) throws IOException {
        List<DataFile> files = new java.util.ArrayList<>();
        for (String file : dataFiles) files.add(DataFile.of(file, conf));
        return new Provenance(currentGitCommit(), Instant.now(), hostName(), String.join(" ", args), files,
                Versions.current(spark.version()), spark.sparkContext().master(), spark.sparkContext().defaultParallelism(),
                partitions, seed, System.getenv().getOrDefault("OMP_NUM_THREADS", "(unset)"),
                ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(f -> !f.startsWith("--add-opens")).toList());
    }

    /** The JSON object of config.json's and model.zip's "provenance". */
    public Map<String, Object> toMap() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("git_commit", gitCommit);
        p.put("started_at", startedAt.toString());
        p.put("host", host);
        p.put("command_line", commandLine);
        Map<String, String> sha = new LinkedHashMap<>();
        dataFiles.forEach(f -> sha.put(f.path(), f.sha256()));
        p.put("data_sha256", sha);
        p.put("data_files", dataFiles.stream().map(DataFile::toMap).toList());
        p.put("versions", versions.toMap());
        p.put("spark_master", sparkMaster);
        p.put("spark_default_parallelism", sparkDefaultParallelism);
        p.put("partitions", partitions);
        if (seed != null) p.put("seed", seed);
        p.put("omp_num_threads", ompNumThreads);
        p.put("driver_jvm_flags", driverJvmFlags);
        return p;
    }

    /** Set by submit.sh (-Dlatentdigits.git.commit); else asks git in the working directory. */
    public static String currentGitCommit() {
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

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
