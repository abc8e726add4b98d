package latentdigits.jobs;

import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import latentdigits.util.Json;
import latentdigits.util.OutputLock;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a scheduler (Airflow) relies on, on real MNIST and Spark local[2]: a finished run rerun is a no-op, another
 * configuration is refused with exit code 2, outputs never overlap inputs and are checked before any work, one writer
 * at a time, warm starts from a published model, and publishing behind a quality gate (exit code 4).
 */
class SchedulerContractIT {
    @TempDir
    static java.nio.file.Path tmp;
    private static String data;
    private static final String[] TINY = {"--epochs", "2", "--train-limit", "2000", "--validation", "300", "--eval-limit", "300"};

    @BeforeAll
    static void data() throws Exception {
        data = TestData.mnist();
    }

    private static String[] args(String... more) {
        List<String> all = new ArrayList<>(List.of(more));
        return all.toArray(String[]::new);
    }

    private static String[] vae(String out, String... more) {
        List<String> all = new ArrayList<>(List.of("--data", data, "--out", out));
        all.addAll(List.of(TINY));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static JobsTest.Outcome trainVae(String... args) {
        SparkSession spark = TestSpark.local2();
        return JobsTest.run(TrainVaeJob.OPTIONS, a -> {
            TrainVaeJob.train(spark, a, args);
            return 0;
        }, args);
    }

    @Test
    void aFinishedRunRerunIsANoOpAndAnotherConfigurationIsRefused() throws Exception {
        String out = tmp.resolve("vae").toString();
        assertEquals(0, trainVae(vae(out)).code());
        java.nio.file.Path model = java.nio.file.Path.of(out, "model.zip");
        long written = Files.getLastModifiedTime(model).toMillis();
        List<String> metrics = Files.readAllLines(java.nio.file.Path.of(out, "metrics.jsonl"));

        long start = System.nanoTime();
        JobsTest.Outcome again = trainVae(vae(out));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("is complete already"), again.out());
        assertTrue((System.nanoTime() - start) / 1e9 < 10, "a no-op must not train");
        assertEquals(written, Files.getLastModifiedTime(model).toMillis(), "nothing rewritten");
        assertEquals(metrics, Files.readAllLines(java.nio.file.Path.of(out, "metrics.jsonl")));

        JobsTest.Outcome other = trainVae(vae(out, "--learning-rate", "0.002"));
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("holds a finished run made with another configuration (--learning-rate 0.001 then, 0.002 now)"), other.err());
        assertEquals(written, Files.getLastModifiedTime(model).toMillis(), "a refused run changes nothing");
    }

    @Test
    void outputsNeverOverlapInputsAndAreCheckedBeforeAnyWork() throws Exception {
        String run = tmp.resolve("for-encode").toString();
        assertEquals(0, trainVae(vae(run)).code());
        SparkSession spark = TestSpark.local2();
        JobMain.Body encode = a -> {
            EncodeJob.encode(spark, a, new String[0]);
            return 0;
        };
        JobsTest.Outcome intoTheRun = JobsTest.run(EncodeJob.OPTIONS, encode, "--data", data, "--model", run + "/model.zip", "--out", run, "--overwrite");
        assertEquals(2, intoTheRun.code(), intoTheRun.err());
        assertTrue(intoTheRun.err().contains("is the job's input " + run), intoTheRun.err());
        assertTrue(Files.exists(java.nio.file.Path.of(run, "model.zip")), "the training run it reads from is still there");
        JobsTest.Outcome insideData = JobsTest.run(EncodeJob.OPTIONS, encode, "--data", data, "--model", run + "/model.zip",
                "--out", data + "/encoded");
        assertEquals(2, insideData.code());
        assertTrue(insideData.err().contains("lies inside the job's input " + data), insideData.err());

        JobsTest.Outcome scheme = trainVae(vae("nosuchfs://bucket/run"));
        assertEquals(2, scheme.code(), scheme.err());
        assertTrue(scheme.err().trim().endsWith("no file system for scheme 'nosuchfs' (expected file:, hdfs:, s3a: ... with its Hadoop module on the classpath)"),
                scheme.err());
        java.nio.file.Path file = Files.writeString(tmp.resolve("a-file"), "x");
        JobsTest.Outcome unwritable = trainVae(vae(file.resolve("run").toString()));
        assertEquals(2, unwritable.code(), unwritable.err());
        assertTrue(unwritable.err().contains("cannot write in"), unwritable.err());
        assertEquals(1, unwritable.err().trim().lines().count(), "one line: " + unwritable.err());
    }

    @Test
    void anotherAttemptAtTheSameOutputIsRefusedWhileTheFirstRuns() throws Exception {
        String out = tmp.resolve("locked").toString();
        FileSystem fs = FileSystem.getLocal(new Configuration());
        try (OutputLock first = OutputLock.acquire(fs, fs.makeQualified(new Path(out)), "--out")) {
            JobsTest.Outcome second = trainVae(vae(out));
            assertEquals(1, second.code(), second.err());
            assertTrue(second.err().contains("another attempt is writing it"), second.err());
            assertFalse(Files.exists(java.nio.file.Path.of(out)));
        }
    }

    /** A warm start starts from the given model's state, records it, and refuses another architecture. */
    @Test
    void aWarmStartBeginsWhereTheGivenModelEnded() throws Exception {
        String first = tmp.resolve("warm-from").toString(), cold = tmp.resolve("cold").toString(), warm = tmp.resolve("warm").toString();
        assertEquals(0, trainVae(vae(first, "--seed", "3")).code());
        assertEquals(0, trainVae(vae(cold, "--seed", "4", "--epochs", "1")).code());
        JobsTest.Outcome w = trainVae(vae(warm, "--seed", "4", "--epochs", "1", "--init-from", first));
        assertEquals(0, w.code(), w.err());
        double fromNelbo = nelbo(first, 2), coldNelbo = nelbo(cold, 1), warmNelbo = nelbo(warm, 1);
        assertTrue(warmNelbo < coldNelbo - 5 && warmNelbo < fromNelbo + 5,
                "warm start: epoch 1 at " + warmNelbo + ", the model it started from " + fromNelbo + ", a cold start " + coldNelbo);
        Map<String, Object> config = Json.parse(Files.readString(java.nio.file.Path.of(warm, "config.json")));
        String initFrom = String.valueOf(((Map<?, ?>) config.get("provenance")).get("init_from"));
        assertTrue(initFrom.contains(first) && initFrom.contains("checkpoint of epoch 2") && initFrom.contains("sha256"), initFrom);

        JobsTest.Outcome cnn = trainVae(vae(tmp.resolve("cnn").toString(), "--arch", "cnn", "--init-from", first));
        assertEquals(2, cnn.code(), cnn.err());
        assertTrue(cnn.err().contains("a model with architecture mlp, this run trains architecture cnn"), cnn.err());
        JobsTest.Outcome unpublished = trainVae(vae(tmp.resolve("first-ever").toString(), "--epochs", "1",
                "--init-from", tmp.resolve("models/vae/latest").toString()));
        assertEquals(0, unpublished.code(), unpublished.err());
        assertTrue(unpublished.out().contains("nothing published yet; training starts from random weights"), unpublished.out());
    }

    /** A run that misses its gate: exit 4 and latest untouched; one that meets it is published and becomes latest. */
    @Test
    void publishingMovesLatestOnlyPastTheGate() throws Exception {
        String good = tmp.resolve("pub-good").toString(), other = tmp.resolve("pub-other").toString();
        String models = tmp.resolve("models-set").toString();
        assertEquals(0, trainVae(vae(good, "--epochs", "3")).code());
        assertEquals(0, trainVae(vae(other, "--epochs", "1", "--seed", "9")).code());
        double nelbo = nelbo(good, 3);
        JobMain.Body publish = a -> {
            PublishJob.publish(a, new Configuration());
            return 0;
        };
        JobsTest.Outcome passed = JobsTest.run(PublishJob.OPTIONS, publish, "--run", good, "--to", models, "--version", "v1",
                "--max-nelbo", String.valueOf(nelbo + 1));
        assertEquals(0, passed.code(), passed.err());
        assertEquals("v1", Files.readString(java.nio.file.Path.of(models, "latest")).trim());
        assertTrue(Files.exists(java.nio.file.Path.of(models, "v1/model.zip")) && Files.exists(java.nio.file.Path.of(models, "v1/publish.json")));

        JobsTest.Outcome failed = JobsTest.run(PublishJob.OPTIONS, publish, "--run", other, "--to", models, "--version", "v2",
                "--max-nelbo", String.valueOf(nelbo - 1));
        assertEquals(4, failed.code(), failed.err());
        assertTrue(failed.err().contains("is above --max-nelbo"), failed.err());
        assertEquals("v1", Files.readString(java.nio.file.Path.of(models, "latest")).trim(), "latest untouched by a failed gate");
        assertFalse(Files.exists(java.nio.file.Path.of(models, "v2")));

        JobsTest.Outcome again = JobsTest.run(PublishJob.OPTIONS, publish, "--run", good, "--to", models, "--version", "v1");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("holds this run's model already"), again.out());

        String samples = tmp.resolve("latest-samples.idx").toString();
        String[] sample = {"--model", models + "/latest", "--n", "50", "--out", samples};
        JobsTest.Outcome sampled = JobsTest.run(SampleJob.OPTIONS, a -> {
            SampleJob.sample(a, new Configuration());
            return 0;
        }, sample);
        assertEquals(0, sampled.code(), sampled.err());
        assertEquals(16 + 50 * 784, Files.size(java.nio.file.Path.of(samples)));
        assertTrue(Files.readString(java.nio.file.Path.of(samples + ".json")).contains("v1/model.zip"), "the record names the version sampled");
        JobsTest.Outcome noop = JobsTest.run(SampleJob.OPTIONS, a -> {
            SampleJob.sample(a, new Configuration());
            return 0;
        }, sample);
        assertTrue(noop.code() == 0 && noop.out().contains("is complete already"), noop.out());
    }

    private static double nelbo(String run, int epoch) throws Exception {
        Map<String, Object> row = Json.parse(Files.readAllLines(java.nio.file.Path.of(run, "metrics.jsonl")).get(epoch - 1));
        return ((Number) row.get("val_xent")).doubleValue() + ((Number) row.get("val_kl")).doubleValue();
    }
}
