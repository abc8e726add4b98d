package latentdigits.train;

import latentdigits.util.RunDirectory;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /** Loss 100 / epoch, or NaN from a given epoch on; the "model" is the epoch number. */
    static final class FakeTrainer implements Trainer {
        final int nanFrom;
        int epoch;

        FakeTrainer(int nanFrom) {
            this.nanFrom = nanFrom;
        }

        @Override
        public long fitEpoch(int epoch, int epochs) {
            this.epoch = epoch;
            return 1000;
        }

        @Override
        public Map<String, Double> evaluate() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("loss", epoch >= nanFrom ? Double.NaN : 100.0 / epoch);
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
    }

    @Test
    void writesOneMetricsLinePerEpochAndCheckpointsTheModel() throws Exception {
        Path out = tmp.resolve("run");
        try (RunDirectory run = RunDirectory.create(out.toString(), false, new Configuration())) {
            List<Map<String, Object>> rows = TrainingLoop.run(new FakeTrainer(99), 3, run);
            assertEquals(3, rows.size());
            run.commit();
        }
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        assertTrue(lines.get(2).startsWith("{\"epoch\":3,\"loss\":33.33"), lines.get(2));
        assertArrayEquals("model of epoch 3".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(out.resolve("model.zip")));
    }

    @Test
    void aNanLossStopsTrainingAndKeepsTheLastGoodModelAside() throws Exception {
        Path out = tmp.resolve("run");
        TrainingDivergedException e;
        try (RunDirectory run = RunDirectory.create(out.toString(), false, new Configuration())) {
            e = assertThrows(TrainingDivergedException.class, () -> TrainingLoop.run(new FakeTrainer(3), 5, run));
        }
        assertTrue(e.getMessage().contains("epoch 3: loss is NaN") && e.getMessage().contains("run.diverged"), e.getMessage());
        assertFalse(Files.exists(out), "a diverged run must not appear as a finished one");
        Path kept = tmp.resolve("run.diverged");
        assertArrayEquals("model of epoch 2".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(kept.resolve("model.zip")));
        assertEquals(2, Files.readAllLines(kept.resolve("metrics.jsonl")).size());
    }

    @Test
    void anUnfinishedRunLeavesNothingBehind() throws Exception {
        Path out = tmp.resolve("run");
        try (RunDirectory run = RunDirectory.create(out.toString(), false, new Configuration())) {
            run.writeText("config.json", "{}");
        }
        try (var files = Files.list(tmp)) {
            assertEquals(0, files.count());
        }
    }
}
