package latentdigits.encode;

import latentdigits.data.DigitSource;
import latentdigits.jobs.JobAccess;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import latentdigits.util.Json;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The encode job on Spark local[2]: every image encoded once, and to the same mu a single JVM computes. */
class EncodeJobIT {
    @TempDir
    Path tmp;

    @Test
    void encodesEveryImageToTheSameMeansAsOneJvm() throws Exception {
        SparkSession spark = TestSpark.local2();
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 21, DataType.FLOAT));
        Path model = Files.createDirectories(tmp.resolve("model")).resolve("model.zip");
        Files.write(model, vae.toBytes(Map.of("test", true)));
        Path out = tmp.resolve("encoded");
        int n = 2500;
        Map<String, Object> summary = JobAccess.encode(spark, "--model", model.toString(), "--data", TestData.mnist(),
                "--out", out.toString(), "--limit", String.valueOf(n), "--partitions", "3", "--batch", "700");

        assertEquals((long) n, ((Number) summary.get("n")).longValue());
        List<Row> rows = spark.read().parquet(out.resolve("latent.parquet").toString()).orderBy("index").collectAsList();
        assertEquals(n, rows.size());
        assertEquals(List.of("index", "label", "mu_0", "mu_1", "logvar_0", "logvar_1"),
                List.of(spark.read().parquet(out.resolve("latent.parquet").toString()).columns()));
        List<String> csv = Files.readAllLines(out.resolve("latent.csv"));
        assertEquals("index,label,mu_0,mu_1,logvar_0,logvar_1", csv.get(0));
        assertEquals(n + 1, csv.size());

        Configuration conf = new Configuration();
        DigitSource test = DigitSource.open(TestData.mnist(), DigitSource.Split.TEST, conf);
        List<LatentRow> expected = new ArrayList<>();
        LatentEncoder.encodeBlock(vae, vae.encoder(), test.read(0, n, conf), false, expected);
        for (int i = 0; i < n; i++) {
            Row r = rows.get(i);
            LatentRow e = expected.get(i);
            assertEquals(i, r.getLong(0));
            assertEquals(e.label(), r.getInt(1));
            assertEquals(e.mu()[0], r.getFloat(2), 1e-5, "mu_0 of test image " + i);
            assertEquals(e.mu()[1], r.getFloat(3), 1e-5, "mu_1 of test image " + i);
            assertEquals(e.logvar()[0], r.getFloat(4), 1e-5);
            assertEquals(e.logvar()[1], r.getFloat(5), 1e-5);
        }
        for (String key : List.of("test_xent", "test_kl", "test_nelbo", "knn5_accuracy")) assertNotNull(summary.get(key), key);
        double nelbo = ((Number) summary.get("test_nelbo")).doubleValue();
        assertEquals(((Number) summary.get("test_xent")).doubleValue() + ((Number) summary.get("test_kl")).doubleValue(), nelbo, 1e-3);
        assertTrue(nelbo > 300, "an untrained VAE scores hundreds of nats, found " + nelbo);
        Map<String, Object> written = Json.parse(Files.readString(out.resolve("summary.json")));
        assertEquals(summary.get("knn5_accuracy"), written.get("knn5_accuracy"));
        assertNotNull(ImageIO.read(out.resolve("scatter.png").toFile()));
        assertEquals(900, ImageIO.read(out.resolve("scatter.png").toFile()).getWidth());
    }
}
