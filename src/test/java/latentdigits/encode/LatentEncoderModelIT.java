package latentdigits.encode;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.jobs.JobAccess;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The encoder as a Spark ML stage gives the encode job's numbers, and composes with Spark ML's own stages. */
class LatentEncoderModelIT {
    @TempDir
    Path tmp;

    @Test
    void theTransformerGivesTheEncodeJobsMeansLogVariancesAndNelbo() throws Exception {
        SparkSession spark = TestSpark.local2();
        Path model = TestData.untrainedVae(tmp.resolve("run"), 5);
        int n = 1000;
        Configuration conf = new Configuration();
        DigitBlock digits = DigitSource.open(TestData.mnist(), DigitSource.Split.TEST, conf).read(0, n, conf);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++)
            rows.add(RowFactory.create("d" + i, (long) i, Arrays.copyOfRange(digits.pixels(), i * 784, (i + 1) * 784)));
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("key", DataTypes.StringType, false),
                DataTypes.createStructField("position", DataTypes.LongType, false),
                DataTypes.createStructField("image", DataTypes.BinaryType, false)));
        String table = tmp.resolve("digits.parquet").toString();
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(table); // one split: the job's positions are row numbers

        JobAccess.encode(spark, "--model", model.toString(), "--input", table, "--id-col", "key", "--with-nelbo", "--batch", "128", "--iwae-k", "0",
                "--out", tmp.resolve("encoded").toString());
        Map<String, Row> job = new HashMap<>();
        for (Row r : spark.read().parquet(tmp.resolve("encoded").resolve("latent.parquet").toString()).collectAsList()) job.put(r.getString(0), r);

        LatentEncoderModel encoder = LatentEncoderModel.load(tmp.resolve("run").toString()) // a run directory, as --model takes
                .setNelboCol("nelbo").setPositionCol("position").setBatchSize(128);
        Dataset<Row> input = spark.read().parquet(table);
        List<Row> transformed = encoder.transform(input).collectAsList();
        assertEquals(n, transformed.size());
        for (Row r : transformed) {
            Row expected = job.get(r.getString(0));
            Vector mu = r.getAs("mu"), logvar = r.getAs("logvar");
            assertEquals(expected.getFloat(3), (float) mu.apply(0), "mu_0 of " + r.getString(0));
            assertEquals(expected.getFloat(4), (float) mu.apply(1), "mu_1 of " + r.getString(0));
            assertEquals(expected.getFloat(5), (float) logvar.apply(0), "logvar_0 of " + r.getString(0));
            assertEquals(expected.getFloat(6), (float) logvar.apply(1), "logvar_1 of " + r.getString(0));
            assertEquals(expected.getDouble(7), (double) r.getAs("nelbo"), "nelbo of " + r.getString(0));
        }
        double meanNelbo = transformed.stream().mapToDouble(r -> r.getAs("nelbo")).average().orElseThrow();
        assertTrue(meanNelbo > 300, "an untrained VAE scores hundreds of nats, found " + meanNelbo);

        PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[]{
                LatentEncoderModel.load(model.toString()),
                new KMeans().setFeaturesCol("mu").setK(10).setSeed(1)}).fit(input);
        Dataset<Row> clustered = pipeline.transform(input);
        assertEquals(n, clustered.count());
        assertTrue(clustered.select("prediction").distinct().count() > 1, "k-means on the means finds clusters");

        IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
                () -> encoder.copy(new org.apache.spark.ml.param.ParamMap()).setImageCol("key").transform(input));
        assertTrue(wrongType.getMessage().contains("column 'key' is string, expected binary"), wrongType.getMessage());
    }
}
