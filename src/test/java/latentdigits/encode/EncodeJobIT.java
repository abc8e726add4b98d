package latentdigits.encode;

import latentdigits.data.DigitRecord;
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
        Path model = TestData.untrainedVae(tmp.resolve("model"), 21);
        VaeModel vae = VaeModel.fromLoaded(latentdigits.model.ModelFiles.fromBytes(Files.readAllBytes(model), "test"), "test");
        Path out = tmp.resolve("encoded");
        int n = 2500;
        Map<String, Object> summary = JobAccess.encode(spark, "--model", model.toString(), "--data", TestData.mnist(),
                "--out", out.toString(), "--limit", String.valueOf(n), "--partitions", "3", "--batch", "700", "--iwae-k", "200", "--iwae-limit", "250");

        assertEquals((long) n, ((Number) summary.get("n")).longValue());
        List<Row> rows = spark.read().parquet(out.resolve("latent.parquet").toString()).orderBy("index").collectAsList();
        assertEquals(n, rows.size());
        assertEquals(List.of("id", "index", "label", "mu_0", "mu_1", "logvar_0", "logvar_1"),
                List.of(spark.read().parquet(out.resolve("latent.parquet").toString()).columns()));
        List<String> csv = Files.readAllLines(out.resolve("latent.csv"));
        assertEquals("id,index,label,mu_0,mu_1,logvar_0,logvar_1", csv.get(0));
        assertEquals(n + 1, csv.size());
        assertTrue(csv.get(1).startsWith("t10k-images-idx3-ubyte#0,0,7,"), csv.get(1));

        Configuration conf = new Configuration();
        DigitSource test = DigitSource.open(TestData.mnist(), DigitSource.Split.TEST, conf);
        latentdigits.data.DigitBlock block = test.read(0, n, conf);
        List<DigitRecord> records = new ArrayList<>();
        for (int i = 0; i < n; i++)
            records.add(DigitRecord.good("t" + i, i, block.label(i), java.util.Arrays.copyOfRange(block.pixels(), i * 784, (i + 1) * 784)));
        List<LatentEncoder.Encoded> expected = LatentEncoder.encodeAll(vae, records, 700, false);
        for (int i = 0; i < n; i++) {
            Row r = rows.get(i);
            LatentEncoder.Encoded e = expected.get(i / 700);
            float[] mu = e.mu(i % 700, 2), logvar = e.logvar(i % 700, 2);
            assertEquals("t10k-images-idx3-ubyte#" + i, r.getString(0));
            assertEquals(i, r.getLong(1));
            assertEquals(block.label(i), r.getInt(2));
            assertEquals(mu[0], r.getFloat(3), 1e-5, "mu_0 of test image " + i);
            assertEquals(mu[1], r.getFloat(4), 1e-5, "mu_1 of test image " + i);
            assertEquals(logvar[0], r.getFloat(5), 1e-5);
            assertEquals(logvar[1], r.getFloat(6), 1e-5);
        }
        for (String key : List.of("test_xent", "test_kl", "test_nelbo", "knn5_accuracy")) assertNotNull(summary.get(key), key);
        double nelbo = ((Number) summary.get("test_nelbo")).doubleValue();
        assertEquals(((Number) summary.get("test_xent")).doubleValue() + ((Number) summary.get("test_kl")).doubleValue(), nelbo, 1e-3);
        assertTrue(nelbo > 300, "an untrained VAE scores hundreds of nats, found " + nelbo);
        double iwae = ((Number) summary.get("test_iwae_nll")).doubleValue(), sameImages = ((Number) summary.get("iwae_images_nelbo")).doubleValue();
        assertEquals(250L, ((Number) summary.get("iwae_images")).longValue());
        assertTrue(iwae < sameImages, "the importance-weighted bound " + iwae + " is tighter than the same images' NELBO " + sameImages);
        assertTrue(iwae > 0.5 * sameImages, "and still a bound of the same size: " + iwae + " against " + sameImages);
        Map<String, Object> written = Json.parse(Files.readString(out.resolve("summary.json")));
        assertEquals(summary.get("knn5_accuracy"), written.get("knn5_accuracy"));
        assertNotNull(ImageIO.read(out.resolve("scatter.png").toFile()));
        assertEquals(900, ImageIO.read(out.resolve("scatter.png").toFile()).getWidth());
    }
}
