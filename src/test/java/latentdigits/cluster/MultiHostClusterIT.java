package latentdigits.cluster;

import latentdigits.testing.NetnsCluster;
import latentdigits.testing.SubmitProcess;
import latentdigits.testing.TestData;
import latentdigits.util.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jobs on a real multi-host standalone cluster: a master, two workers of one core each and an edge node, each a
 * host of its own (network namespaces, {@link NetnsCluster}; needs root, skipped otherwise). The commands are what a
 * user types on the edge node: ./submit.sh with nothing set but --master.
 */
class MultiHostClusterIT {
    /** Nothing from the test JVM decides the driver's address. */
    private static final Map<String, String> EDGE_ENV = new HashMap<>();
    private static NetnsCluster cluster;
    private static String data;

    @TempDir
    static Path tmp;

    static {
        EDGE_ENV.put("SPARK_LOCAL_IP", null);
        EDGE_ENV.put("SPARK_LOCAL_HOSTNAME", null);
    }

    @BeforeAll
    static void cluster() throws Exception {
        NetnsCluster.assumeAvailable();
        data = "file://" + Path.of(TestData.mnist()).toAbsolutePath();
        cluster = NetnsCluster.start(2, 1);
    }

    @AfterAll
    static void down() {
        if (cluster != null) cluster.close();
    }

    private static final List<String> VAE = List.of("train-vae", "--epochs", "2", "--train-limit", "6000", "--validation", "500", "--eval-limit", "1000");
    private static final List<String> GAN = List.of("train-gan", "--epochs", "2", "--train-limit", "3000");

    private static String[] args(List<String> job, String... more) {
        List<String> all = new ArrayList<>(job);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /**
     * train-vae, encode and train-gan from the edge node give the numbers of the same commands on the embedded
     * local[2], to the last digit, while strangers connect to every port the job's driver and executors listen on:
     * garbage, half a greeting, silence, a port scan, a made-up proof. They are dropped and change nothing.
     */
    @Test
    void jobsFromTheEdgeNodeGiveTheEmbeddedNumbersWhateverStrangersDo() throws Exception {
        Path embedded = tmp.resolve("embedded"), onCluster = tmp.resolve("cluster");
        for (String[] job : List.of(args(VAE, "--out", embedded.resolve("vae").toString()),
                new String[]{"encode", "--model", embedded.resolve("vae/model.zip").toString(), "--out", embedded.resolve("encoded").toString(), "--limit", "3000", "--iwae-k", "100", "--iwae-limit", "300"},
                args(GAN, "--out", embedded.resolve("gan").toString()))) {
            List<String> local = new ArrayList<>(List.of(job));
            local.addAll(List.of("--master", "local[2]", "--data", data));
            SubmitProcess.Result r = SubmitProcess.run(Duration.ofMinutes(10), local.toArray(String[]::new));
            assertEquals(0, r.exitCode(), r.output());
        }

        Strangers strangers = new Strangers();
        Thread attacker = new Thread(strangers, "strangers");
        attacker.start();
        try {
            for (String[] job : List.of(args(VAE, "--out", onCluster.resolve("vae").toString()),
                    new String[]{"encode", "--model", onCluster.resolve("vae/model.zip").toString(), "--out", onCluster.resolve("encoded").toString(), "--limit", "3000", "--iwae-k", "100", "--iwae-limit", "300"},
                    args(GAN, "--out", onCluster.resolve("gan").toString()))) {
                NetnsCluster.Result r = onEdge(Duration.ofMinutes(10), job);
                assertEquals(0, r.exitCode(), "on the cluster: " + String.join(" ", job) + "\n" + r.output());
                strangers.driverOutput.append(r.output());
            }
        } finally {
            strangers.stop.set(true);
            attacker.join(60_000);
        }

        for (String run : List.of("vae", "gan"))
            assertEquals(metrics(embedded.resolve(run)), metrics(onCluster.resolve(run)), run + ": the cluster's metrics.jsonl");
        Map<String, Object> local = Json.parse(Files.readString(embedded.resolve("encoded/summary.json")));
        Map<String, Object> remote = Json.parse(Files.readString(onCluster.resolve("encoded/summary.json")));
        for (String key : List.of("test_xent", "test_kl", "test_nelbo", "test_iwae_nll", "knn5_accuracy"))
            assertEquals(local.get(key), remote.get(key), "encode's " + key);

        for (int i = 1; i <= 2; i++) { // the drivers executors were told to reach: this test's on the edge node (cluster deploy mode's on a worker)
            Matcher m = Pattern.compile("--driver-url\"? \"?spark://CoarseGrainedScheduler@([^\" :]+)").matcher(Files.readString(cluster.workerLog(i)));
            java.util.Set<String> drivers = new java.util.TreeSet<>();
            while (m.find()) drivers.add(m.group(1));
            assertTrue(drivers.contains(NetnsCluster.EDGE_HOST), "worker " + i + ": the driver advertises the edge node's own name: " + drivers);
            assertTrue(drivers.stream().allMatch(h -> h.startsWith("ld-")), "worker " + i + ": a driver advertised loopback: " + drivers);
        }
        assertTrue(strangers.attacked.size() >= 4, "strangers reached too few ports: " + strangers.attacked);
        assertTrue(strangers.driverOutput.toString().contains("dropped a connection from"), "the driver logged no dropped stranger");
        assertTrue(executorLogs().contains("to the all-reduce hub"), "the hub's executor logged no dropped stranger");
    }

    /**
     * --deploy-mode cluster: the driver runs on a worker, and submit.sh waits for the job's end, so a scheduler sees
     * whether it succeeded.
     */
    @Test
    void clusterDeployModeRunsTheDriverOnAWorkerAndReportsTheEnd() throws Exception {
        Path out = tmp.resolve("deployed");
        String[] job = {"train-vae", "--deploy-mode", "cluster", "--out", out.toString(), "--epochs", "1", "--train-limit", "3000",
                "--validation", "500", "--eval-limit", "500"};
        NetnsCluster.Result r = onEdge(Duration.ofMinutes(10), job);
        assertEquals(0, r.exitCode(), r.output());
        Map<String, Object> config = Json.parse(Files.readString(out.resolve("config.json")));
        String host = String.valueOf(((Map<?, ?>) config.get("provenance")).get("host"));
        assertTrue(host.startsWith("ld-worker"), "the driver ran on " + host);

        job[6] = "none"; // --epochs
        job[4] = tmp.resolve("deployed-bad").toString(); // --out
        NetnsCluster.Result bad = onEdge(Duration.ofMinutes(5), job);
        assertTrue(bad.exitCode() != 0, "a job that failed on the cluster must not exit 0:\n" + bad.output());
    }

    /** Too few cores for the training stage's partitions: one line naming the master, what was awaited and found. */
    @Test
    void tooFewCoresEndTheJobWithOneLine() throws Exception {
        Path out = tmp.resolve("too-few");
        NetnsCluster.Result r = onEdge(Duration.ofMinutes(3), args(VAE, "--out", out.toString(), "--partitions", "3",
                "--conf", "spark.latentdigits.executorWait=15s"));
        assertEquals(1, r.exitCode(), r.output());
        String last = lastLine(r.output());
        assertTrue(last.startsWith("train-vae: failed: " + cluster.masterUrl() + ": waited 15 s for 3 task slots at once"), last);
        assertTrue(last.contains("found 2 executors with 2 slots"), last);
        assertFalse(Files.exists(out), "no output for a job that did not run");
    }

    /** No executor can start (each asks for more memory than a worker has): one line, not an endless wait. */
    @Test
    void noExecutorEndsTheJobWithOneLine() throws Exception {
        NetnsCluster.Result r = onEdge(Duration.ofMinutes(3), args(VAE, "--out", tmp.resolve("none").toString(),
                "--executor-memory", "64g", "--conf", "spark.latentdigits.executorWait=15s"));
        assertEquals(1, r.exitCode(), r.output());
        String last = lastLine(r.output());
        assertTrue(last.startsWith("train-vae: failed: " + cluster.masterUrl() + ": no executor registered within 15 s"), last);
    }

    /** ./submit.sh JOB-ARGS --master (the cluster) --data (MNIST) on the edge node, as a user there would type it. */
    private static NetnsCluster.Result onEdge(Duration timeout, String... jobArgs) throws IOException {
        List<String> argv = new ArrayList<>(List.of("./submit.sh"));
        argv.addAll(List.of(jobArgs));
        argv.addAll(List.of("--master", cluster.masterUrl(), "--data", data));
        return cluster.onEdge(timeout, EDGE_ENV, argv);
    }

    private static String lastLine(String output) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        return lines.get(lines.size() - 1);
    }

    /** metrics.jsonl without the timing columns. */
    static List<Map<String, Object>> metrics(Path run) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            Map<String, Object> row = new LinkedHashMap<>(Json.parse(line));
            for (String timing : List.of("seconds", "images_per_s", "eval_seconds")) row.remove(timing);
            rows.add(row);
        }
        return rows;
    }

    private static String executorLogs() throws IOException {
        StringBuilder all = new StringBuilder();
        for (int i = 1; i <= 2; i++) {
            Path work = cluster.workDir(i);
            if (!Files.isDirectory(work)) continue;
            try (Stream<Path> files = Files.walk(work)) {
                for (Path p : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) all.append(Files.readString(p));
            }
        }
        return all.toString();
    }

    /**
     * Every two seconds, lists what listens on the edge node and the workers, and from the master's host opens to
     * each new port the connections a stranger would: garbage, half a greeting then silence, silence, a port scan,
     * and the project's greeting with a made-up proof.
     */
    private static final class Strangers implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final Set<String> attacked = ConcurrentHashMap.newKeySet();
        final StringBuffer driverOutput = new StringBuffer();

        @Override
        public void run() {
            Map<String, String> ips = Map.of(NetnsCluster.EDGE_HOST, "10.231.0.10", NetnsCluster.workerName(1), "10.231.0.11",
                    NetnsCluster.workerName(2), "10.231.0.12");
            while (!stop.get()) {
                try {
                    for (Map.Entry<String, String> host : ips.entrySet()) {
                        for (String socket : cluster.listening(host.getKey())) {
                            if (socket.contains("127.0.0.1") || socket.contains("[::1]")) continue;
                            String port = socket.substring(socket.lastIndexOf(':') + 1);
                            String target = host.getValue() + ":" + port;
                            if (attacked.add(target)) attack(host.getValue(), port);
                        }
                    }
                    Thread.sleep(2000);
                } catch (IOException e) {
                    // a namespace busy or gone: try again
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private static void attack(String ip, String port) throws IOException {
            String tcp = "/dev/tcp/" + ip + "/" + port;
            String script = String.join("\n",
                    "(exec 3<>" + tcp + " && head -c 4096 /dev/urandom >&3; sleep 1) 2>/dev/null &",
                    "(exec 3<>" + tcp + " && printf 'latent-digits li' >&3 && sleep 15) 2>/dev/null &",
                    "(exec 3<>" + tcp + " && sleep 15) 2>/dev/null &",
                    "(exec 3<>" + tcp + ") 2>/dev/null &",
                    "(exec 3<>" + tcp + " && printf 'latent-digits link 1\\n' >&3 && head -c 64 /dev/urandom >&3 && sleep 2) 2>/dev/null &",
                    "wait");
            cluster.startOn(NetnsCluster.MASTER_HOST, Duration.ofSeconds(30), Map.of(), List.of("bash", "-c", script));
        }
    }
}
