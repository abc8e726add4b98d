package latentdigits.jobs;

import latentdigits.util.Numbers;
import latentdigits.data.DigitSource;
import latentdigits.encode.LatentEncoder;
import latentdigits.encode.LatentRow;
import latentdigits.encode.LatentTable;
import latentdigits.encode.NearestNeighbours;
import latentdigits.figures.Charts;
import latentdigits.model.ModelFiles;
import latentdigits.model.VaeModel;
import latentdigits.runtime.Provenance;
import latentdigits.runtime.ClusterResources;
import latentdigits.runtime.SparkRuntime;
import latentdigits.util.HadoopConf;
import latentdigits.util.Json;
import latentdigits.util.RunDirectory;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The study's Figure 2 as a bulk job: run the encoder on every image of a split in parallel partitions and keep each
 * image's mean and log-variance with its true label (Parquet and CSV); score the VAE's loss on those images; fit a
 * 5-nearest-neighbour classifier on the training set's means and score it on these; plot the means by label.
 */
public final class EncodeJob {
    static final Options OPTIONS = new Options("encode",
            "Encodes a digit set with a trained VAE on Spark: DIR/{latent.parquet, latent.csv, scatter.png, summary.json}.")
            .value("model", "FILE", "model.zip written by train-vae")
            .value("data", "DIR", "folder with the MNIST IDX files (file:, hdfs:, s3a: ...)")
            .value("out", "DIR", "output directory to create (staged, renamed when complete)")
            .value("split", "test|train", "which MNIST split to encode")
            .value("limit", "N", "encode only the first N images of the split (0 = all)")
            .value("master", "URL", "Spark master when not run by spark-submit (default local[*])")
            .value("partitions", "P", "encoding tasks; 0 = one per executor core, or one per 100,000 images if that is more")
            .value("batch", "B", "images per encoder call (large batches amortise DL4J's per-call cost)")
            .value("knn-k", "K", "neighbours of the latent-space classifier")
            .value("scatter-limit", "N", "at most this many points in scatter.png (an even sample of the rows)")
            .toggle("no-loss", "skip scoring XENT and KL (encoder only: faster for bulk sets)")
            .toggle("overwrite", "replace --out if it already exists");

    private EncodeJob() {
    }

    public static void main(String[] args) {
        JobMain.mainWithSpark(OPTIONS, args, (spark, a) -> encode(spark, a, args));
    }

    public static Map<String, Object> encode(SparkSession spark, Options.Args a, String[] commandLine) throws Exception {
        JavaSparkContext jsc = SparkRuntime.context(spark);
        Configuration conf = jsc.hadoopConfiguration();
        String modelFile = a.require("model");
        byte[] modelZip = ModelFiles.readBytes(modelFile, "--model", conf);
        VaeModel vae = VaeModel.fromLoaded(ModelFiles.fromBytes(modelZip, modelFile), modelFile);
        DigitSource.Split split = DigitSource.Split.parse("--split", a.require("split"));
        String data = a.require("data");
        DigitSource source = DigitSource.open(data, split, conf);
        DigitSource reference = split == DigitSource.Split.TEST ? DigitSource.open(data, DigitSource.Split.TRAIN, conf) : null;
        int batch = a.integer("batch", 1), k = a.integer("knn-k", 1);
        long limit = a.longValue("limit", 0);
        long n = limit > 0 ? Math.min(limit, source.count()) : source.count();
        int requested = a.integer("partitions", 0);
        int slots = ClusterResources.partitions(jsc.sc(), requested, false); // waits for executors on a cluster
        int partitions = requested > 0 ? requested : LatentEncoder.defaultTasks(n, slots);
        boolean withLoss = !a.flag("no-loss");
        HadoopConf hadoop = new HadoopConf(conf);

        String modelRun = new org.apache.hadoop.fs.Path(ModelFiles.resolve(modelFile, conf)).getParent().toString();
        RunOutput.Opened opened = RunOutput.open("encode", a, conf, List.of(data, modelRun));
        if (opened.complete()) {
            System.out.println("encode: " + opened.run().finalPath() + " is complete already (a finished run with the same configuration); nothing to do");
            return Json.parse(new String(opened.run().readFinished("summary.json"), java.nio.charset.StandardCharsets.UTF_8));
        }
        try (RunDirectory run = opened.run()) {
            long start = System.nanoTime();
            Broadcast<byte[]> model = jsc.broadcast(modelZip);
            JavaRDD<LatentRow> rows = LatentEncoder.encode(jsc, model, source, hadoop, limit, partitions, batch, withLoss)
                    .persist(StorageLevel.MEMORY_AND_DISK_SER());
            long encoded = rows.count();
            if (encoded != n) throw new IllegalStateException("encoded " + encoded + " images, expected " + n);
            double encodeSeconds = (System.nanoTime() - start) / 1e9;
            String prefix = split == DigitSource.Split.TEST ? "test" : "train";

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", modelFile);
            summary.put("split", prefix);
            summary.put("n", n);
            if (withLoss) {
                double[] sums = rows.map(r -> new double[]{r.xent(), r.kl()}).reduce((x, y) -> new double[]{x[0] + y[0], x[1] + y[1]});
                summary.put(prefix + "_xent", Numbers.round(sums[0] / n, 4));
                summary.put(prefix + "_kl", Numbers.round(sums[1] / n, 4));
                summary.put(prefix + "_nelbo", Numbers.round((sums[0] + sums[1]) / n, 4));
            }
            if (reference != null) {
                List<LatentRow> ref = LatentEncoder.encode(jsc, model, reference, hadoop, 0, partitions, batch, false).collect();
                float[][] points = ref.stream().map(LatentRow::mu).toArray(float[][]::new);
                int[] labels = ref.stream().mapToInt(LatentRow::label).toArray();
                Broadcast<NearestNeighbours> knn = jsc.broadcast(new NearestNeighbours(points, labels, k));
                long correct = rows.filter(r -> knn.value().classify(r.mu()) == r.label()).count();
                summary.put("knn" + k + "_accuracy", Numbers.round((double) correct / n, 5));
                summary.put("knn_reference", "train split, " + ref.size() + " images");
            }
            LatentTable.dataFrame(spark, rows, vae.latent()).write().parquet(run.resolve("latent.parquet").toString());
            try (OutputStream out = run.create("latent.csv")) {
                LatentTable.writeCsv(rows.toLocalIterator(), vae.latent(), out);
            }
            long every = Math.max(1, n / a.longValue("scatter-limit", 1));
            List<LatentRow> shown = rows.filter(r -> r.index() % every == 0).collect();
            run.writePng("scatter.png", Charts.scatter(
                    vae.spec().architecture().name().toUpperCase() + " VAE: encoder means of " + shown.size() + " " + prefix + " images, coloured by true label",
                    "\u03bc\u2080", "\u03bc\u2081",
                    shown.stream().mapToDouble(r -> r.mu()[0]).toArray(),
                    shown.stream().mapToDouble(r -> r.mu().length > 1 ? r.mu()[1] : 0).toArray(),
                    shown.stream().mapToInt(LatentRow::label).toArray(), 900, 760));
            double seconds = (System.nanoTime() - start) / 1e9;
            summary.put("encode_seconds", Numbers.round(encodeSeconds, 3));
            summary.put("encode_images_per_s", Numbers.round(n / encodeSeconds, 1));
            summary.put("seconds", Numbers.round(seconds, 3));
            summary.put("partitions", partitions);
            Map<String, Object> provenance = Provenance.of(spark, partitions, null, List.of(source.images(), source.labels()), conf, commandLine).toMap();
            summary.put("provenance", provenance);
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("job", "encode");
            config.put("config", a.effective());
            config.put("provenance", provenance);
            run.writeText("config.json", Json.pretty(config));
            run.writeText("summary.json", Json.pretty(summary));
            rows.unpersist(false);
            run.commit();
            System.out.println("encode: wrote " + run.finalPath() + " (latent.parquet, latent.csv, scatter.png, summary.json)");
            summary.remove("provenance");
            System.out.println(Json.pretty(summary));
            return summary;
        }
    }
}
