package latentdigits.cluster;

import latentdigits.testing.NetnsCluster;
import latentdigits.testing.SubmitProcess;
import latentdigits.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker host lost in the middle of training, on a standalone cluster of separate hosts (network namespaces; root
 * only). With a replacement host joining, the job starts the training stage again from the last finished epoch and
 * ends with the numbers of an undisturbed run; without one, it gives up after its wait with one line that keeps the
 * finished epochs and names the command that continues them.
 */
class ExecutorLossClusterIT {
    @TempDir
    Path tmp;

    @Test
    void aLostWorkerIsReplacedOrTheRunIsKeptForResume() throws Exception {
        NetnsCluster.assumeAvailable();
        String data = "file://" + Path.of(TestData.mnist()).toAbsolutePath();
        List<String> vae = List.of("train-vae", "--data", data, "--epochs", "6", "--train-limit", "6000", "--validation", "500",
                "--eval-limit", "1000", "--conf", "spark.latentdigits.executorWait=40s");
        List<String> local = new ArrayList<>(vae);
        local.addAll(List.of("--out", tmp.resolve("undisturbed").toString(), "--master", "local[2]"));
        SubmitProcess.Result undisturbed = SubmitProcess.run(Duration.ofMinutes(10), local.toArray(String[]::new));
        assertEquals(0, undisturbed.exitCode(), undisturbed.output());

        Map<String, String> edgeEnv = new HashMap<>();
        edgeEnv.put("SPARK_LOCAL_IP", null);
        try (NetnsCluster cluster = NetnsCluster.start(2, 1)) {
            // a worker killed at epoch 2, a replacement host joining: the run finishes as if nothing happened
            Path replaced = tmp.resolve("replaced");
            NetnsCluster.Run run = cluster.startOn(NetnsCluster.EDGE_HOST, Duration.ofMinutes(10), edgeEnv, submit(vae, replaced, cluster));
            awaitOutput(run, "epoch 2/6");
            long killed = System.nanoTime();
            cluster.killWorker(2);
            cluster.addWorker(2);
            double joined = (System.nanoTime() - killed) / 1e9;
            awaitOutput(run, "epoch 3/6");
            System.out.printf("worker 2 killed after epoch 2; its replacement registered %.1f s later; epoch 3 done %.1f s after the kill%n",
                    joined, (System.nanoTime() - killed) / 1e9);
            NetnsCluster.Result r = run.await();
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().contains("training stage failed in epoch"), "the failure and the new attempt are logged:\n" + r.output());
            assertEquals(MultiHostClusterIT.metrics(tmp.resolve("undisturbed")), MultiHostClusterIT.metrics(replaced),
                    "a run that lost a worker ends with the undisturbed run's metrics.jsonl");

            // a worker killed with no replacement: one line, the finished epochs kept, the command to continue printed
            Path kept = tmp.resolve("kept");
            run = cluster.startOn(NetnsCluster.EDGE_HOST, Duration.ofMinutes(10), edgeEnv, submit(vae, kept, cluster));
            awaitOutput(run, "epoch 2/6");
            cluster.killWorker(1);
            r = run.await();
            assertEquals(1, r.exitCode(), r.output());
            String last = r.output().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("");
            assertTrue(last.startsWith("train-vae: failed: " + cluster.masterUrl() + ": waited 40 s for 2 task slots to train epoch"), last);
            assertTrue(last.contains("The finished epochs are kept in") && last.endsWith("--resume"), last);
            assertFalse(Files.exists(kept), "an unfinished run must not look finished");

            cluster.addWorker(1);
            String command = last.substring(last.indexOf("continue with: ") + "continue with: ".length());
            NetnsCluster.Result resumed = cluster.onEdge(Duration.ofMinutes(10), edgeEnv, List.of("bash", "-c", command));
            assertEquals(0, resumed.exitCode(), resumed.output());
            assertEquals(MultiHostClusterIT.metrics(tmp.resolve("undisturbed")), MultiHostClusterIT.metrics(kept),
                    "the resumed run ends with the undisturbed run's metrics.jsonl");
        }
    }

    private static List<String> submit(List<String> job, Path out, NetnsCluster cluster) {
        List<String> argv = new ArrayList<>(List.of("./submit.sh"));
        argv.addAll(job);
        argv.addAll(List.of("--out", out.toString(), "--master", cluster.masterUrl()));
        return argv;
    }

    private static void awaitOutput(NetnsCluster.Run run, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!run.outputSoFar().contains(text) && !run.result().isDone() && System.nanoTime() < deadline) Thread.sleep(100);
        assertTrue(run.outputSoFar().contains(text), "never got to '" + text + "':\n" + run.outputSoFar());
    }
}
