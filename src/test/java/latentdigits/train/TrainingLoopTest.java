package latentdigits.train;

import latentdigits.util.RunDirectory;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingLoopTest {
    @TempDir
    Path tmp;

    /**
     * Loss 100 / epoch plus a draw from the driver's random stream (as a VAE's evaluation draws sampling noise), NaN
     * from a given epoch on; the "model" is the epoch number, and the trainer fails in epoch {@code failIn}.
     */
    static final class FakeTrainer implements Trainer {
        final int nanFrom, failIn;
        int epoch;

        FakeTrainer(int nanFrom) {
            this(nanFrom, Integer.MAX_VALUE);
        }

        FakeTrainer(int nanFrom, int failIn) {
            this.nanFrom = nanFrom;
            this.failIn = failIn;
            Nd4j.getRandom().setSeed(17);
        }

        @Override
        public long fitEpoch(int epoch, int epochs) {
            if (epoch == failIn) throw new IllegalStateException("executor lost");
            this.epoch = epoch;
            return 1000;
        }

        @Override
        public Map<String, Double> evaluate() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("loss", epoch >= nanFrom ? Double.NaN : 100.0 / epoch + Nd4j.getRandom().nextDouble());
            return m;
        }

        @Override
        public String describe(Map<String, Double> metrics) {
            return "loss " + metrics.get("loss");
        }

        @Override
        public void writeEpochFigures(RunDirectory run, int epoch) {
        }

        @Override
        public byte[] modelBytes() {
            return ("model of epoch " + epoch).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public List<NetworkState> state() {
            return List.of(new NetworkState(new float[]{epoch}, null, epoch));
        }

        @Override
        public void restore(List<NetworkState> networks) {
            epoch = networks.get(0).iterations();
        }
    }

    /** The run directory of {@code out}, started afresh or (resume) continuing its unfinished run. */
    private RunDirectory open(Path out, boolean overwrite, boolean resume) throws Exception {
        RunDirectory run = RunDirectory.open(out.toString(), new Configuration());
        if (resume) run.continueUnfinished();
        else run.startFresh(overwrite);
        return run;
    }

    /** metrics.jsonl without the timing columns. */
    private static List<String> losses(Path run) throws Exception {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream().map(l -> l.replaceAll(",\"seconds\".*", "")).toList();
    }

    @Test
    void writesOneMetricsLinePerEpochAndCheckpointsTheModel() throws Exception {
        Path out = tmp.resolve("run");
        try (RunDirectory run = open(out, false, false)) {
            List<Map<String, Object>> rows = TrainingLoop.run(new FakeTrainer(99), 3, run);
            assertEquals(3, rows.size());
            run.commit();
        }
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        double loss = ((Number) latentdigits.util.Json.parse(lines.get(2)).get("loss")).doubleValue();
        assertTrue(lines.get(2).startsWith("{\"epoch\":3,") && loss >= 100.0 / 3 && loss < 100.0 / 3 + 1, lines.get(2));
        assertArrayEquals("model of epoch 3".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(out.resolve("model.zip")));
        Checkpoint last = Checkpoint.fromBytes(Files.readAllBytes(out.resolve("checkpoint/epoch-00003.bin")), "epoch 3");
        assertEquals(3, last.epoch());
        assertEquals(lines, last.metricRows());
        assertTrue(Files.exists(out.resolve("checkpoint/epoch-00002.bin")), "the checkpoint before the last is kept");
        assertFalse(Files.exists(out.resolve("checkpoint/epoch-00001.bin")), "older checkpoints are dropped");
    }

    /**
     * A run that failed in epoch 3 keeps epochs 1-2 for --resume; resumed, it ends with exactly the metrics of an
     * uninterrupted run, the driver's random stream included.
     */
    @Test
    void aResumedRunEndsWithTheUninterruptedRunsMetrics() throws Exception {
        Path whole = tmp.resolve("whole"), broken = tmp.resolve("broken");
        try (RunDirectory run = open(whole, false, false)) {
            TrainingLoop.run(new FakeTrainer(99), 5, run);
            run.commit();
        }
        try (RunDirectory run = open(broken, false, false)) {
            assertThrows(IllegalStateException.class, () -> TrainingLoop.run(new FakeTrainer(99, 3), 5, run));
            run.keepForResume();
        }
        assertFalse(Files.exists(broken));
        try (RunDirectory run = RunDirectory.open(broken.toString(), new Configuration())) {
            assertEquals(2, run.unfinishedEpochs(), "epochs 1-2 are kept for the next attempt");
        }
        try (RunDirectory run = open(broken, false, true)) {
            List<Map<String, Object>> rows = TrainingLoop.run(new FakeTrainer(99), 5, run);
            assertEquals(5, rows.size());
            run.commit();
        }
        assertEquals(losses(whole), losses(broken));
        assertArrayEquals("model of epoch 5".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(broken.resolve("model.zip")));
    }

    /** A second lock on the same output, while the first is held, is refused, naming the holder. */
    @Test
    void oneWriterAtATime() throws Exception {
        Path out = tmp.resolve("run");
        try (RunDirectory first = open(out, false, false)) {
            latentdigits.util.JobFailure refused = assertThrows(latentdigits.util.JobFailure.class,
                    () -> RunDirectory.open(out.toString(), new Configuration()));
            assertTrue(refused.getMessage().contains("another attempt is writing it (host "), refused.getMessage());
        }
        try (RunDirectory again = open(out, false, false)) {
            assertFalse(again.finished(), "the lock is released when the first closes");
        }
    }

    @Test
    void aNanLossStopsTrainingAndKeepsTheLastGoodModelAside() throws Exception {
        Path out = tmp.resolve("run");
        TrainingDivergedException e;
        try (RunDirectory run = open(out, false, false)) {
            e = assertThrows(TrainingDivergedException.class, () -> TrainingLoop.run(new FakeTrainer(3), 5, run));
        }
        assertTrue(e.getMessage().contains("epoch 3: loss is NaN") && e.getMessage().contains("run.diverged"), e.getMessage());
        assertFalse(Files.exists(out), "a diverged run must not appear as a finished one");
        Path kept = tmp.resolve("run.diverged");
        assertArrayEquals("model of epoch 2".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(kept.resolve("model.zip")));
        assertEquals(2, Files.readAllLines(kept.resolve("metrics.jsonl")).size());

        try (RunDirectory run = open(out, false, false)) { // diverges again: the first one's remains are not replaced
            e = assertThrows(TrainingDivergedException.class, () -> TrainingLoop.run(new FakeTrainer(2), 5, run));
        }
        assertTrue(e.getMessage().contains("run.diverged-2"), e.getMessage());
        assertEquals(2, Files.readAllLines(kept.resolve("metrics.jsonl")).size(), "the first diverged run is kept as it was");
        assertEquals(1, Files.readAllLines(tmp.resolve("run.diverged-2/metrics.jsonl")).size());
    }

    @Test
    void anUnfinishedRunWithoutACheckpointLeavesNothingBehind() throws Exception {
        Path out = tmp.resolve("run");
        try (RunDirectory run = open(out, false, false)) {
            run.writeText("config.json", "{}");
        }
        try (var files = Files.list(tmp)) {
            assertEquals(0, files.count());
        }
    }

    /** A checkpoint cut short (a kill while writing it, without the rename) is refused, not half-read. */
    @Test
    void aTruncatedCheckpointIsRefused() throws Exception {
        byte[] whole = new Checkpoint(2, 1, 2, List.of(new NetworkState(new float[]{1, 2}, new float[]{3}, 4)), List.of("{}", "{}")).toBytes();
        assertEquals(2, Checkpoint.fromBytes(whole, "c").epoch());
        java.io.IOException e = assertThrows(java.io.IOException.class,
                () -> Checkpoint.fromBytes(java.util.Arrays.copyOf(whole, whole.length - 3), "cut.bin"));
        assertTrue(e.getMessage().startsWith("cut.bin: not a complete checkpoint"), e.getMessage());
    }
}
