package latentdigits.jobs;

import latentdigits.data.MnistFetcher;
import latentdigits.testing.MiniHdfs;
import latentdigits.testing.TestSpark;
import latentdigits.util.Json;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jobs against a real HDFS (an in-process MiniDFSCluster at Spark's Hadoop version) and hdfs:// paths only:
 * fetch-data installs MNIST into it, train-vae, train-classifier and encode read it and write their runs there, sample
 * writes its IDX file there and score reads that back.
 */
class HdfsJobsIT {
    @TempDir
    java.nio.file.Path tmp;

    @Test
    void everyJobReadsAndWritesHdfsPaths() throws Exception {
        try (MiniHdfs hdfs = MiniHdfs.start(tmp.resolve("hdfs"))) {
            String data = hdfs.path("/datasets/mnist"), runs = hdfs.path("/runs");
            Configuration conf = new Configuration();
            FileSystem fs = FileSystem.get(URI.create(hdfs.uri().toString()), conf);

            assertEquals(0, JobMain.execute(FetchDataJob.OPTIONS, new String[]{"--dest", data}, a -> {
                System.out.println(FetchDataJob.fetch(a.require("dest")));
                return 0;
            }));
            assertEquals(4, new MnistFetcher(conf).verified(data).size(), "the four IDX files verify on HDFS");

            List<Map<String, Object>> rows = JobAccess.train(TestSpark.local2(), "--data", data, "--out", runs + "/vae",
                    "--epochs", "2", "--train-limit", "3000", "--validation", "500", "--eval-limit", "500");
            assertEquals(2, rows.size());
            for (String file : List.of("model.zip", "metrics.jsonl", "config.json", "figures/loss.png", "figures/grid.png"))
                assertTrue(fs.exists(new Path(runs + "/vae/" + file)), "HDFS lacks vae/" + file);

            Map<String, Object> summary = JobAccess.encode(TestSpark.local2(), "--data", data, "--model", runs + "/vae/model.zip",
                    "--out", runs + "/encoded", "--limit", "2000", "--iwae-k", "100", "--iwae-limit", "200");
            assertEquals(2000L, ((Number) summary.get("n")).longValue());
            for (String file : List.of("latent.parquet", "latent.csv", "scatter.png", "summary.json"))
                assertTrue(fs.exists(new Path(runs + "/encoded/" + file)), "HDFS lacks encoded/" + file);

            JobAccess.trainClassifier(TestSpark.local2(), "--data", data, "--out", runs + "/classifier",
                    "--epochs", "1", "--train-limit", "3000", "--validation", "500");
            String samples = runs + "/samples.idx";
            SampleJob.sample(SampleJob.OPTIONS.parse(new String[]{"--model", runs + "/vae/model.zip", "--n", "200", "--out", samples}), conf);
            assertEquals(16 + 200 * 784, fs.getFileStatus(new Path(samples)).getLen(), "an IDX file of 200 images");
            Map<String, Object> score = JobAccess.score("--classifier", runs + "/classifier/model.zip", "--samples", samples, "--data", data);
            assertTrue(((Number) score.get("frechet_distance")).doubleValue() > 0, score.toString());
            assertTrue(fs.exists(new Path(samples + ".score.json")));
            Map<String, Object> config = Json.parse(new String(fs.open(new Path(runs + "/vae/config.json")).readAllBytes(), StandardCharsets.UTF_8));
            assertTrue(config.toString().contains(data), "provenance names the HDFS data files");
            assertFalse(fs.listStatus(new Path(runs)).length == 0);
            for (var status : fs.listStatus(new Path(runs)))
                assertFalse(status.getPath().getName().startsWith("."), "staging, a lock or a temporary file left behind: " + status.getPath());
        }
    }
}
