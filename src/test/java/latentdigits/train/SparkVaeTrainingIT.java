package latentdigits.train;

import latentdigits.jobs.JobAccess;
import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import latentdigits.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The train-vae job on Spark local[2] with real MNIST: 2 epochs on 3,500 images (500 held out), for each architecture. */
class SparkVaeTrainingIT {
    @TempDir
    Path tmp;

    @Test
    void theMlpVaeTrainsOnSparkAndWritesTheWholeRunDirectory() throws Exception {
        trainTwoEpochsAndCheckTheRun("mlp");
    }

    @Test
    void theCnnVaeTrainsOnTheSameTrainerAndWritesTheSameRunDirectory() throws Exception {
        trainTwoEpochsAndCheckTheRun("cnn");
    }

    void trainTwoEpochsAndCheckTheRun(String arch) throws Exception {
        Path out = tmp.resolve("run-" + arch);
        List<Map<String, Object>> rows = JobAccess.train(TestSpark.local2(), "--data", TestData.mnist(), "--out", out.toString(),
                "--arch", arch, "--epochs", "2", "--train-limit", "3500", "--validation", "500", "--eval-limit", "1000", "--seed", "3");
        assertEquals(2, rows.size());
        double first = nelbo(rows.get(0)), second = nelbo(rows.get(1));
        assertTrue(second < first - 2, arch + ": validation NELBO should drop: epoch 1 " + first + ", epoch 2 " + second);
        assertTrue(first < 543, "after one epoch the VAE must beat the untrained 784*ln 2 = 543 nats: " + first);

        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size());
        Map<String, Object> line = Json.parse(metrics.get(1));
        for (String key : List.of("epoch", "train_xent", "train_kl", "val_xent", "val_kl", "seconds", "images_per_s"))
            assertNotNull(line.get(key), "metrics.jsonl lacks " + key);
        assertEquals(2, ((Number) line.get("epoch")).intValue());

        Map<String, Object> config = Json.parse(Files.readString(out.resolve("config.json")));
        @SuppressWarnings("unchecked") Map<String, Object> provenance = (Map<String, Object>) config.get("provenance");
        for (String key : List.of("git_commit", "data_sha256", "versions", "spark_master", "partitions", "seed"))
            assertNotNull(provenance.get(key), "config.json provenance lacks " + key);
        assertEquals("local[2]", provenance.get("spark_master"));
        assertEquals(2, ((Number) provenance.get("partitions")).intValue());
        @SuppressWarnings("unchecked") Map<String, String> sha = (Map<String, String>) provenance.get("data_sha256");
        assertTrue(sha.values().contains("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"));

        assertTrue(Files.size(out.resolve("model.zip")) > 10_000);
        assertPng(out.resolve("figures/samples-epoch-001.png"), 8 * 58 + 2 + 40, 8 * 58 + 2 + 56);
        assertPng(out.resolve("figures/samples-epoch-002.png"), 8 * 58 + 2 + 40, 8 * 58 + 2 + 56);
        assertPng(out.resolve("figures/loss.png"), 1280, 440);
        assertPng(out.resolve("figures/interpolation.png"), 12 * 87 + 3 + 40, 87 + 3 + 56 + 22);
        assertPng(out.resolve("figures/grid.png"), 15 * 57 + 1 + 100, 15 * 57 + 1 + 104);
        try (var siblings = Files.list(tmp)) {
            assertFalse(siblings.anyMatch(p -> p.getFileName().toString().startsWith(".")), "staging directory left behind");
        }
    }

    static double nelbo(Map<String, Object> row) {
        return ((Number) row.get("val_xent")).doubleValue() + ((Number) row.get("val_kl")).doubleValue();
    }

    static void assertPng(Path file, int width, int height) throws Exception {
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " is not a readable PNG");
        assertEquals(width, image.getWidth(), file + " width");
        assertEquals(height, image.getHeight(), file + " height");
    }
}
