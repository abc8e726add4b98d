package latentdigits.train;

import latentdigits.util.Json;
import latentdigits.util.Numbers;
import latentdigits.util.RunDirectory;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one training loop: fit an epoch, measure, log a progress line with an ETA, append metrics.jsonl, draw the
 * epoch's figures, and write a checkpoint from which the run continues exactly (a resumed run starts here too, after
 * the checkpoint's epoch); model.zip is written once, from the last epoch (or, when a loss diverges, from the last
 * good epoch's checkpoint), since the checkpoint already holds every epoch's networks. Every model trains through it,
 * so every run directory looks alike.
 */
public final class TrainingLoop {
    private static final Logger LOG = LoggerFactory.getLogger("latentdigits.train");

    private TrainingLoop() {
    }

    /**
     * Trains epochs 1 to {@code epochs}, or, when the run directory holds a checkpoint (a resumed run), the epochs after
     * it. Returns the metrics rows of all epochs as written to metrics.jsonl.
     */
    public static List<Map<String, Object>> run(Trainer trainer, int epochs, RunDirectory run) throws IOException {
        try (trainer) {
            return loop(trainer, epochs, run);
        }
    }

    private static List<Map<String, Object>> loop(Trainer trainer, int epochs, RunDirectory run) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        int first = 1;
        RunDirectory.Stored stored = run.latestCheckpoint();
        if (stored != null) {
            Checkpoint resumed = Checkpoint.fromBytes(stored.bytes(), stored.path());
            if (resumed.epoch() > epochs)
                throw new IllegalArgumentException("--epochs: the run to resume finished epoch " + resumed.epoch() + ", more than " + epochs);
            trainer.restore(resumed.networks());
            Nd4j.getRandom().setStates(resumed.rngRoot(), resumed.rngNode());
            lines.addAll(resumed.metricRows());
            lines.forEach(line -> rows.add(new LinkedHashMap<>(Json.parse(line))));
            run.setMetrics(lines);
            first = resumed.epoch() + 1;
            LOG.info("resuming after epoch {} of {} ({})", resumed.epoch(), epochs, stored.path());
        }
        double wallSeconds = 0;
        for (int epoch = first; epoch <= epochs; epoch++) {
            long start = System.nanoTime();
            long images = trainer.fitEpoch(epoch, epochs);
            double fitSeconds = (System.nanoTime() - start) / 1e9;
            long evalStart = System.nanoTime();
            Map<String, Double> metrics = trainer.evaluate();
            double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
            for (Map.Entry<String, Double> m : metrics.entrySet()) {
                if (!Double.isFinite(m.getValue())) {
                    keepLastGoodModel(trainer, run);
                    String kept = run.keepAsFailed("diverged");
                    throw new TrainingDivergedException("epoch " + epoch + ": " + m.getKey() + " is " + m.getValue()
                            + "; training stopped. " + (epoch > 1 ? "The last good model (epoch " + (epoch - 1) + ") and its metrics are in " + kept
                            : "Nothing was trained successfully; see " + kept));
                }
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", epoch);
            row.putAll(metrics);
            row.put("seconds", Numbers.round(fitSeconds, 3));
            row.put("images_per_s", Numbers.round(images / fitSeconds, 1));
            row.put("eval_seconds", Numbers.round(evalSeconds, 3));
            String line = Json.line(row);
            lines.add(line);
            run.appendMetrics(line);
            rows.add(row);
            trainer.writeEpochFigures(run, epoch);
            // the driver's random stream as the next epoch will take it up (its evaluation draws sampling noise)
            run.writeCheckpoint(epoch, new Checkpoint(epoch, Nd4j.getRandom().rootState(), Nd4j.getRandom().nodeState(),
                    trainer.state(), List.copyOf(lines)).toBytes());
            wallSeconds += (System.nanoTime() - start) / 1e9;
            double eta = wallSeconds / (epoch - first + 1) * (epochs - epoch);
            LOG.info(String.format("epoch %d/%d  %s | %.1f s, %,.0f img/s | ETA %s",
                    epoch, epochs, trainer.describe(metrics), fitSeconds, images / fitSeconds, duration(eta)));
        }
        run.writeBytes("model.zip", trainer.modelBytes());
        return rows;
    }

    /** model.zip of the last checkpointed epoch, if there is one. */
    private static void keepLastGoodModel(Trainer trainer, RunDirectory run) throws IOException {
        RunDirectory.Stored stored = run.latestCheckpoint();
        if (stored == null) return;
        trainer.restore(Checkpoint.fromBytes(stored.bytes(), stored.path()).networks());
        run.writeBytes("model.zip", trainer.modelBytes());
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
