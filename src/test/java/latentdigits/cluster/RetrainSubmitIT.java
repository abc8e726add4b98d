package latentdigits.cluster;

import latentdigits.testing.SubmitProcess;
import latentdigits.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ./submit.sh retrain, the Airflow DAG's steps in its order, run for real on the embedded Spark (small sizes): a first
 * schedule trains, judges and publishes both models; the same date again does nothing; a later date starts from the
 * published models, and a model that misses its gate ends the run with exit code 4, leaving latest where it was.
 */
class RetrainSubmitIT {
    @TempDir
    Path tmp;

    private String[] retrain(String date, String maxNelbo) throws Exception {
        List<String> args = new ArrayList<>(List.of("retrain", "--master", "local[2]", "--data", TestData.mnist(),
                "--runs", tmp.resolve("runs").toString(), "--models", tmp.resolve("models").toString(), "--date", date,
                "--epochs", "2", "--gan-epochs", "1", "--train-limit", "2000", "--validation", "300", "--max-nelbo", maxNelbo, "--max-fid", "1000"));
        return args.toArray(String[]::new);
    }

    @Test
    void theDagsStepsTrainJudgeAndPublishAndAreSafeToRerun() throws Exception {
        SubmitProcess.Result first = SubmitProcess.run(Duration.ofMinutes(15), retrain("2026-12-07", "1000"));
        assertEquals(0, first.exitCode(), first.output());
        for (String task : List.of("fetch_data", "train_vae", "encode", "train_classifier", "train_gan", "sample_gan", "score_gan", "publish_vae", "publish_gan"))
            assertTrue(first.output().contains("retrain: " + task + ": "), "step " + task + " did not run:\n" + first.output());
        assertEquals("2026-12-07", Files.readString(tmp.resolve("models/vae/latest")).trim());
        assertEquals("2026-12-07", Files.readString(tmp.resolve("models/gan/latest")).trim());
        assertTrue(Files.exists(tmp.resolve("runs/2026-12-07/gan-samples.idx.score.json")));

        long start = System.nanoTime();
        SubmitProcess.Result again = SubmitProcess.run(Duration.ofMinutes(10), retrain("2026-12-07", "1000"));
        assertEquals(0, again.exitCode(), again.output());
        for (String run : List.of("vae", "vae-encoded", "classifier", "gan"))
            assertTrue(again.output().contains("runs/2026-12-07/" + run + " is complete already"), run + " was done again:\n" + again.output());
        assertFalse(again.output().contains("epoch 1/"), "nothing is trained again");
        System.out.printf("retrain of a finished date: %.1f s%n", (System.nanoTime() - start) / 1e9);

        SubmitProcess.Result gated = SubmitProcess.run(Duration.ofMinutes(15), retrain("2026-12-14", "1"));
        assertEquals(4, gated.exitCode(), gated.output());
        assertTrue(gated.output().contains("retrain: step publish_vae ended with exit code 4"), gated.output());
        String config = Files.readString(tmp.resolve("runs/2026-12-14/vae/config.json"));
        assertTrue(config.contains("\"init_from\"") && config.contains("models/vae/2026-12-07/model.zip") && config.contains("checkpoint of epoch 2"),
                "the new week started from the published VAE:\n" + config);
        assertEquals("2026-12-07", Files.readString(tmp.resolve("models/vae/latest")).trim(), "a failed gate leaves latest alone");
        assertFalse(Files.exists(tmp.resolve("models/vae/2026-12-14")));
    }
}
