package latentdigits.train;

import latentdigits.jobs.JobAccess;
import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import latentdigits.model.ModelFiles;
import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import latentdigits.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static latentdigits.train.SparkVaeTrainingIT.assertPng;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The train-gan job on Spark local[2] with real MNIST: 2 epochs on 3,000 images. */
class SparkGanTrainingIT {
    @TempDir
    Path tmp;

    @Test
    void theGanTrainsOnSparkMovesBothPlayersAndWritesTheWholeRunDirectory() throws Exception {
        Path out = tmp.resolve("gan");
        List<Map<String, Object>> rows = JobAccess.trainGan(TestSpark.local2(), "--data", TestData.mnist(), "--out", out.toString(),
                "--epochs", "2", "--train-limit", "3000", "--seed", "4");
        assertEquals(2, rows.size());
        for (Map<String, Object> row : rows)
            for (String key : List.of("epoch", "d_loss", "g_loss", "seconds", "images_per_s"))
                assertNotNull(row.get(key), "metrics row lacks " + key);
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        Map<String, Object> config = Json.parse(Files.readString(out.resolve("config.json")));
        assertEquals("train-gan", config.get("job"));

        GanModel trained = GanModel.fromLoaded(ModelFiles.fromBytes(Files.readAllBytes(out.resolve("model.zip")), "model.zip"), "model.zip");
        GanModel initial = GanModel.create(GanNetworks.Spec.study(1e-3, 0.5, 4));
        assertFalse(trained.generator().getLayer("g1").params().equalsWithEps(initial.generator().getLayer("g1").params(), 1e-4), "G moved");
        assertFalse(trained.discriminator().params().equalsWithEps(initial.discriminator().params(), 1e-4), "D moved");
        assertTrue(trained.generator().getConfiguration().getIterationCount() >= 15, "one G step per minibatch: "
                + trained.generator().getConfiguration().getIterationCount());

        assertPng(out.resolve("figures/samples-epoch-001.png"), 8 * 58 + 2 + 40, 8 * 58 + 2 + 56);
        assertPng(out.resolve("figures/samples-epoch-002.png"), 8 * 58 + 2 + 40, 8 * 58 + 2 + 56);
        assertPng(out.resolve("figures/samples.png"), 6 * 58 + 2 + 40, 6 * 58 + 2 + 56);
        assertTrue(Files.size(out.resolve("figures/loss.png")) > 1000);
        assertTrue(Files.size(out.resolve("figures/interpolation.png")) > 1000);
    }
}
