package latentdigits.score;

import latentdigits.jobs.JobAccess;
import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train-classifier on Spark local[2] (2 epochs, 12,000 images), then score the test set itself and pure noise. */
class ScoreJobIT {
    @TempDir
    Path tmp;

    @Test
    void theTestSetScoresNearZeroAndNearUniformAndNoiseScoresFarAway() throws Exception {
        Path run = tmp.resolve("classifier");
        Map<String, Object> trained = JobAccess.trainClassifier(TestSpark.local2(), "--data", TestData.mnist(), "--out", run.toString(),
                "--epochs", "2", "--train-limit", "12000", "--validation", "1000", "--seed", "5");
        double accuracy = ((Number) trained.get("test_accuracy")).doubleValue();
        assertTrue(accuracy > 0.9, "two epochs on 11,000 images should pass 90 % test accuracy: " + accuracy);

        String model = run.resolve("model.zip").toString();
        Map<String, Object> self = JobAccess.score("--classifier", model, "--samples", TestData.mnist() + "/t10k-images-idx3-ubyte",
                "--data", TestData.mnist(), "--out", tmp.resolve("self.json").toString());
        assertEquals(10000L, ((Number) self.get("images")).longValue());
        assertTrue(((Number) self.get("frechet_distance")).doubleValue() < 1e-3, "the test set against itself: " + self.get("frechet_distance"));
        assertTrue(((Number) self.get("smallest_class_fraction")).doubleValue() > 0.08, "near uniform: " + self.get("class_fractions"));
        assertTrue(((Number) self.get("largest_class_fraction")).doubleValue() < 0.125, "near uniform: " + self.get("class_fractions"));
        assertTrue(Files.exists(tmp.resolve("self.json")));

        byte[] noise = new byte[500 * 784];
        new java.util.Random(1).nextBytes(noise);
        Path noiseFile = tmp.resolve("noise.idx");
        Files.write(noiseFile, latentdigits.data.IdxFiles.imagesBytes(500, 28, 28, noise));
        Map<String, Object> random = JobAccess.score("--classifier", model, "--samples", noiseFile.toString(), "--data", TestData.mnist());
        assertTrue(((Number) random.get("frechet_distance")).doubleValue() > 10, "noise is far from digits: " + random.get("frechet_distance"));
        assertTrue(Files.exists(Path.of(noiseFile + ".score.json")));
    }
}
