package latentdigits.cluster;

import latentdigits.testing.NetnsCluster;
import latentdigits.testing.SubmitProcess;
import latentdigits.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * conf/spark-secure.conf on a multi-host standalone cluster whose daemons require authentication: Spark authenticates
 * and encrypts its traffic, the project's own sockets encrypt theirs, every port the job opens is in the profile's
 * ranges, and the numbers are those of the embedded run.
 */
class SecuredClusterIT {
    private static final String SECRET = "a-test-secret-known-to-the-cluster";

    @TempDir
    Path tmp;

    @Test
    void theSecureProfileTrainsTheSameNumbersOnPinnedPorts() throws Exception {
        NetnsCluster.assumeAvailable();
        String data = "file://" + Path.of(TestData.mnist()).toAbsolutePath();
        List<String> vae = List.of("train-vae", "--epochs", "2", "--train-limit", "6000", "--validation", "500", "--eval-limit", "1000",
                "--data", data);
        List<String> local = new ArrayList<>(vae);
        local.addAll(List.of("--out", tmp.resolve("embedded").toString(), "--master", "local[2]"));
        SubmitProcess.Result embedded = SubmitProcess.run(Duration.ofMinutes(10), local.toArray(String[]::new));
        assertEquals(0, embedded.exitCode(), embedded.output());

        Map<String, String> edgeEnv = new HashMap<>();
        edgeEnv.put("SPARK_LOCAL_IP", null);
        try (NetnsCluster cluster = NetnsCluster.start(2, 1, Map.of("spark.authenticate", "true", "spark.authenticate.secret", SECRET))) {
            List<String> argv = new ArrayList<>(List.of("./submit.sh"));
            argv.addAll(vae);
            argv.addAll(List.of("--out", tmp.resolve("secured").toString(), "--master", cluster.masterUrl(),
                    "--properties-file", "conf/spark-secure.conf", "--conf", "spark.authenticate.secret=" + SECRET));
            NetnsCluster.Run run = cluster.startOn(NetnsCluster.EDGE_HOST, Duration.ofMinutes(10), edgeEnv, argv);
            Set<Integer> driverPorts = new TreeSet<>(), hubPorts = new TreeSet<>();
            while (!run.result().isDone()) {
                for (String s : cluster.listening(NetnsCluster.EDGE_HOST)) if (!s.contains("127.0.0.1")) driverPorts.add(port(s));
                for (int i = 1; i <= 2; i++)
                    for (String s : cluster.listening(NetnsCluster.workerName(i))) if (port(s) >= 40000) hubPorts.add(port(s));
                Thread.sleep(300);
            }
            NetnsCluster.Result r = run.await();
            assertEquals(0, r.exitCode(), r.output());
            assertEquals(MultiHostClusterIT.metrics(tmp.resolve("embedded")), MultiHostClusterIT.metrics(tmp.resolve("secured")),
                    "the secured cluster's metrics.jsonl");
            assertTrue(driverPorts.size() >= 3, "driver ports seen: " + driverPorts);
            for (int p : driverPorts) assertTrue(p >= 40000 && p <= 40039, "the driver listens outside the profile's ranges: " + driverPorts);
            assertTrue(hubPorts.stream().anyMatch(p -> p >= 40020 && p <= 40039), "no all-reduce hub port in 40020-40039 seen: " + hubPorts);
        }
    }

    private static int port(String socket) {
        return Integer.parseInt(socket.substring(socket.lastIndexOf(':') + 1));
    }
}
