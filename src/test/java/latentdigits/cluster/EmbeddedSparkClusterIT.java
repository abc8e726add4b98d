package latentdigits.cluster;

import latentdigits.testing.SubmitProcess;
import latentdigits.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default command, ./submit.sh train-vae on the embedded Spark, listens on loopback only for its whole run, and so
 * do the live page (--live) and Spark's UI when they are switched on.
 */
class EmbeddedSparkClusterIT {
    @TempDir
    Path tmp;

    @Test
    void aDefaultEmbeddedRunListensOnLoopbackOnly() throws Exception {
        Assumptions.assumeTrue(new ProcessBuilder("ss", "-V").start().waitFor() == 0, "needs ss (iproute2) to list sockets");
        SubmitProcess job = SubmitProcess.start("train-vae", "--conf", "spark.ui.enabled=true", "--live", "--data", TestData.mnist(),
                "--out", tmp.resolve("run").toString(), "--epochs", "4", "--train-limit", "6000", "--validation", "500", "--eval-limit", "1000");
        Set<String> seen = new TreeSet<>();
        while (job.isAlive()) {
            seen.addAll(listening(job.pid()));
            Thread.sleep(200);
        }
        SubmitProcess.Result r = job.await(Duration.ofSeconds(10));
        assertEquals(0, r.exitCode(), r.output());
        // Spark's RPC, block manager and UI, the training stage's handover port and the live page
        assertTrue(seen.size() >= 5, "saw too few listening sockets to judge: " + seen);
        for (String address : seen)
            assertTrue(address.startsWith("127.0.0.1:") || address.startsWith("[::ffff:127.0.0.1]:") || address.startsWith("[::1]:"),
                    "the embedded job listens beyond loopback: " + address + " (all: " + seen + ")");
    }

    /** The local addresses of TCP sockets process {@code pid} listens on. */
    private static Set<String> listening(long pid) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-ltnpH").start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ss.waitFor();
        Set<String> addresses = new TreeSet<>();
        for (String line : out.split("\n")) {
            if (!line.contains("pid=" + pid + ",")) continue;
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 4) addresses.add(fields[3]);
        }
        return addresses;
    }
}
