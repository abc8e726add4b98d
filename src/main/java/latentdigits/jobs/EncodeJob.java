package latentdigits.jobs;

import latentdigits.data.DigitInput;
import latentdigits.data.DigitInputs;
import latentdigits.data.DigitSource;
import latentdigits.encode.EncodeStats;
import latentdigits.encode.LatentEncoder;
import latentdigits.encode.LatentTable;
import latentdigits.encode.NearestNeighbours;
import latentdigits.figures.Charts;
import latentdigits.model.ModelFiles;
import latentdigits.model.VaeModel;
import latentdigits.runtime.ClusterResources;
import latentdigits.runtime.Provenance;
import latentdigits.runtime.SparkProgress;
import latentdigits.runtime.SparkRuntime;
import latentdigits.util.Json;
import latentdigits.util.LazyIterators;
import latentdigits.util.Numbers;
import latentdigits.util.RunDirectory;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * The study's Figure 2 as a bulk job: run the encoder over every image of a digit set in parallel tasks and keep each
 * image's mean and log-variance with its id and label (Parquet written by the executors; CSV and the scatter of the
 * means by label for sets up to a chosen size, an even sample above it); score the VAE's loss on those images; score a
 * 5-nearest-neighbour classifier fitted on a labelled reference set's means (MNIST's training split by default).
 */
public final class EncodeJob {
    static final Options OPTIONS = new Options("encode",
            "Encodes a digit set with a trained VAE on Spark: DIR/{latent.parquet, latent.csv, scatter.png, summary.json}.")
            .value("model", "FILE", "model.zip written by train-vae, its run directory, or MODELS/latest")
            .value("input", "PATH", "digits to encode: IDX files (raw or .gz), a Parquet table or a tree of PNG/JPEG files; any Hadoop path or glob (instead of --data/--split)")
            .value("format", "idx|parquet|images", "the input's format (default: told from file names, then magic bytes)")
            .value("labels", "FILE", "IDX labels of a single IDX images file (default: NAME-labels-idx1-ubyte beside NAME-images-idx3-ubyte, if present)")
            .value("image-col", "NAME", "Parquet column with the images: binary (784 raw bytes, PNG or JPEG) or an array of 784 numbers")
            .value("id-col", "NAME", "Parquet column with each image's id (default: 'row N', N its position)")
            .value("label-col", "NAME", "Parquet column with each image's digit 0-9 (null for unknown)")
            .value("data", "DIR", "folder with the MNIST IDX files (file:, hdfs:, s3a: ...), when no --input")
            .value("split", "test|train", "which MNIST split of --data to encode")
            .value("out", "DIR", "output directory to create (staged, renamed when complete)")
            .value("limit", "N", "encode only the first N images (0 = all)")
            .value("master", "URL", "Spark master when not run by spark-submit (default local[*])")
            .value("partitions", "P", "tasks for IDX input; 0 = one per executor core, or one per 100,000 images if that is more (Parquet and images: Spark's file splits)")
            .value("batch", "B", "images per encoder call (large batches amortise DL4J's per-call cost)")
            .value("knn-k", "K", "neighbours of the latent-space classifier")
            .value("knn-reference", "PATH", "labelled digits the kNN classifier is fitted on (default: MNIST's training split with --data --split test; none otherwise)")
            .value("knn-reference-limit", "N", "at most this many reference images (an even sample), collected on the driver")
            .value("csv-limit", "N", "latent.csv holds every row up to this many images, an even sample of this size above")
            .value("scatter-limit", "N", "at most this many points in scatter.png (an even sample of the rows)")
            .value("iwae-k", "K", "samples of the importance-weighted bound on the NLL (Burda et al.); 0 = not computed")
            .value("iwae-limit", "N", "the bound on at most this many images (an even sample): it costs K decoder passes an image")
            .toggle("with-nelbo", "add each image's negative ELBO (nats; an anomaly score) to latent.parquet as column nelbo")
            .toggle("skip-bad-records", "encode the rest when a record is corrupt or wrongly sized; list it in DIR/_rejected and count it")
            .toggle("no-loss", "skip scoring XENT and KL (encoder only: faster for bulk sets)")
            .toggle("overwrite", "replace --out if it already exists");

    private EncodeJob() {
    }

    public static void main(String[] args) {
        JobMain.mainWithSpark(OPTIONS, args, (spark, a) -> encode(spark, a, args));
    }

    /** What to encode and what to fit the kNN classifier on: --input, or MNIST's --data and --split. */
    record Inputs(DigitInputs.Spec input, DigitInputs.Spec reference, String prefix, List<String> paths) {
        /** MNIST's files, whose SHA-256 provenance records (bulk inputs are described by path, size and time instead). */
        List<String> mnist() {
            return prefix.isEmpty() ? List.of() : List.of(input.path(), input.labels());
        }

        static Inputs of(Options.Args a, Configuration conf) {
            long limit = a.longValue("limit", 0);
            int partitions = a.integer("partitions", 0);
            String input = a.getOr("input", ""), reference = a.getOr("knn-reference", "");
            List<String> paths = new ArrayList<>();
            if (!input.isBlank()) {
                paths.add(input);
                if (!a.getOr("labels", "").isBlank()) paths.add(a.get("labels"));
                if (!reference.isBlank()) paths.add(reference);
                return new Inputs(spec(a, input, a.getOr("format", ""), a.getOr("labels", ""), limit, partitions),
                        reference.isBlank() ? null : spec(a, reference, "", "", 0, partitions), "", paths);
            }
            String data = a.require("data");
            paths.add(data);
            DigitSource.Split split = DigitSource.Split.parse("--split", a.require("split"));
            String[] files = DigitSource.files(data, split, conf);
            DigitInputs.Spec referenceSpec = null;
            if (!reference.isBlank()) {
                paths.add(reference);
                referenceSpec = spec(a, reference, "", "", 0, partitions);
            } else if (split == DigitSource.Split.TEST) {
                String[] train = DigitSource.files(data, DigitSource.Split.TRAIN, conf);
                referenceSpec = spec(a, train[0], "idx", train[1], 0, partitions);
            }
            return new Inputs(spec(a, files[0], "idx", files[1], limit, partitions), referenceSpec,
                    split == DigitSource.Split.TEST ? "test_" : "train_", paths);
        }

        private static DigitInputs.Spec spec(Options.Args a, String path, String format, String labels, long limit, int partitions) {
            return new DigitInputs.Spec(path, format, labels, a.getOr("image-col", "image"), a.getOr("id-col", ""),
                    a.getOr("label-col", ""), limit, partitions);
        }
    }

    public static Map<String, Object> encode(SparkSession spark, Options.Args a, String[] commandLine) throws Exception {
        JavaSparkContext jsc = SparkRuntime.context(spark);
        Configuration conf = jsc.hadoopConfiguration();
        String modelFile = a.require("model");
        byte[] modelZip = ModelFiles.readBytes(modelFile, "--model", conf);
        VaeModel vae = VaeModel.fromLoaded(ModelFiles.fromBytes(modelZip, modelFile), modelFile);
        int latent = vae.latent(), batch = a.integer("batch", 1), k = a.integer("knn-k", 1);
        boolean withLoss = !a.flag("no-loss"), withNelbo = a.flag("with-nelbo"), skipBad = a.flag("skip-bad-records");
        if (withNelbo && !withLoss) throw new IllegalArgumentException("--with-nelbo: needs the loss, found --no-loss as well");
        Inputs inputs = Inputs.of(a, conf);

        String modelRun = new Path(ModelFiles.resolve(modelFile, conf)).getParent().toString();
        List<String> read = new ArrayList<>(inputs.paths());
        read.add(modelRun);
        RunOutput.Opened opened = RunOutput.open("encode", a, conf, read);
        if (opened.complete()) {
            System.out.println("encode: " + opened.run().finalPath() + " is complete already (a finished run with the same configuration); nothing to do");
            return Json.parse(new String(opened.run().readFinished("summary.json"), java.nio.charset.StandardCharsets.UTF_8));
        }
        try (RunDirectory run = opened.run(); SparkProgress progress = SparkProgress.watch(jsc.sc(), "encode")) {
            long start = System.nanoTime();
            int slots = ClusterResources.partitions(jsc.sc(), 0, false); // waits for executors on a cluster
            String scratch = run.resolve("_scratch").toString();
            DigitInput input = DigitInputs.open(spark, inputs.input(), slots, scratch);
            Broadcast<byte[]> model = jsc.broadcast(modelZip);

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", modelFile);
            summary.put("input", input.describe());
            Broadcast<NearestNeighbours> knn = null;
            if (inputs.reference() != null) {
                DigitInput reference = DigitInputs.open(spark, inputs.reference(), slots, scratch + "/reference");
                NearestNeighbours fitted = referenceMeans(reference, model, batch, skipBad, a.longValue("knn-reference-limit", 1), latent, k);
                knn = jsc.broadcast(fitted);
                summary.put("knn_reference", reference.describe());
                summary.put("knn_reference_points", fitted.size());
            }

            EncodeStats stats = new EncodeStats(jsc.sc());
            LatentEncoder.BadRecords bad = skipBad ? stats.skipAndCount() : LatentEncoder.BadRecords.fail();
            int iwaeK = withLoss ? a.integer("iwae-k", 0) : 0;
            LatentTable.Iwae iwae = iwaeK == 0 ? null
                    : new LatentTable.Iwae(iwaeK, sampleStride(input.count(), a.longValue("iwae-limit", 1)));
            JavaRDD<Row> rows = LatentTable.encoded(input.records(), model, batch, withLoss, withNelbo, latent, bad, stats, knn, iwae);
            String table = run.resolve("latent.parquet").toString();
            spark.createDataFrame(rows, LatentTable.schema(latent, withNelbo)).write().mode(SaveMode.Overwrite).parquet(table); // over a killed attempt's
            long n = stats.images.value(), rejected = stats.rejected.value();
            if (n + rejected != input.count())
                throw new IllegalStateException("encoded " + n + " and rejected " + rejected + " records, expected " + input.count() + " in all");
            double encodeSeconds = (System.nanoTime() - start) / 1e9;
            if (rejected > 0) {
                JavaRDD<Row> rejects = input.records().filter(r -> r.isBad()).map(r -> RowFactory.create(r.id(), r.position(), r.problem()));
                spark.createDataFrame(rejects, LatentTable.rejectedSchema()).write().mode(SaveMode.Overwrite).parquet(run.resolve("_rejected").toString());
            }
            run.delete("_scratch");

            String p = inputs.prefix();
            summary.put("n", n);
            summary.put("rejected", rejected);
            if (withLoss && n > 0) {
                summary.put(p + "xent", Numbers.round(stats.xent.value() / n, 4));
                summary.put(p + "kl", Numbers.round(stats.kl.value() / n, 4));
                summary.put(p + "nelbo", Numbers.round((stats.xent.value() + stats.kl.value()) / n, 4));
            }
            if (iwae != null && stats.iwaeImages.value() > 0) {
                summary.put(p + "iwae_nll", Numbers.round(stats.iwaeNll.value() / stats.iwaeImages.value(), 4));
                summary.put("iwae_k", iwaeK);
                summary.put("iwae_images", stats.iwaeImages.value());
                summary.put("iwae_images_nelbo", Numbers.round(stats.iwaeImagesNelbo.value() / stats.iwaeImages.value(), 4));
            }
            if (knn != null && stats.knnEvaluated.value() > 0) {
                summary.put("knn" + k + "_accuracy", Numbers.round((double) stats.knnCorrect.value() / stats.knnEvaluated.value(), 5));
                summary.put("knn_evaluated", stats.knnEvaluated.value());
            }

            Dataset<Row> written = spark.read().parquet(table);
            long csvLimit = a.longValue("csv-limit", 1);
            try (OutputStream out = run.create("latent.csv")) {
                Dataset<Row> shown = evenSample(written, input.count(), csvLimit).orderBy("index");
                summary.put("csv_rows", LatentTable.writeCsv(shown.toLocalIterator(), LatentTable.columns(latent, withNelbo), out));
            }
            List<Row> points = evenSample(written, input.count(), a.longValue("scatter-limit", 1))
                    .select(col("mu_0"), latent > 1 ? col("mu_1") : col("mu_0"), col("label")).collectAsList();
            run.writePng("scatter.png", Charts.scatter(
                    vae.spec().architecture().name().toUpperCase() + " VAE: encoder means of " + points.size() + " images, coloured by label",
                    "\u03bc\u2080", latent > 1 ? "\u03bc\u2081" : "\u03bc\u2080",
                    points.stream().mapToDouble(r -> r.getFloat(0)).toArray(),
                    points.stream().mapToDouble(r -> r.getFloat(1)).toArray(),
                    points.stream().mapToInt(r -> r.isNullAt(2) ? -1 : r.getInt(2)).toArray(), 900, 760));

            double seconds = (System.nanoTime() - start) / 1e9;
            summary.put("encode_seconds", Numbers.round(encodeSeconds, 3));
            summary.put("encode_images_per_s", Numbers.round(n / encodeSeconds, 1));
            summary.put("seconds", Numbers.round(seconds, 3));
            summary.put("partitions", rows.getNumPartitions());
            Map<String, Object> provenance = Provenance.ofFiles(spark, rows.getNumPartitions(), null, inputs.mnist(), conf, commandLine).toMap();
            summary.put("provenance", provenance);
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("job", "encode");
            config.put("config", a.effective());
            config.put("provenance", provenance);
            run.writeText("config.json", Json.pretty(config));
            run.writeText("summary.json", Json.pretty(summary));
            run.commit();
            progress.close();
            System.out.println("encode: wrote " + run.finalPath() + " (latent.parquet, latent.csv, scatter.png, summary.json"
                    + (rejected > 0 ? ", _rejected: " + rejected + " records" : "") + ")");
            summary.remove("provenance");
            System.out.println(Json.pretty(summary));
            return summary;
        }
    }

    /** The even samples' stride: positions that are multiples of it, at most {@code limit} of {@code count}. */
    static long sampleStride(long count, long limit) {
        return Math.max(1, (count + limit - 1) / limit);
    }

    /** Rows whose index is a multiple of count/limit: all of them up to {@code limit}. */
    static Dataset<Row> evenSample(Dataset<Row> rows, long count, long limit) {
        long every = sampleStride(count, limit);
        return every == 1 ? rows : rows.filter(col("index").mod(every).equalTo(0));
    }

    /** The reference set's means and labels (an even sample of at most {@code limit} labelled images), fitted for kNN. */
    static NearestNeighbours referenceMeans(DigitInput reference, Broadcast<byte[]> model, int batch, boolean skipBad, long limit,
                                            int latent, int k) {
        long every = sampleStride(reference.count(), limit);
        LatentEncoder.BadRecords bad = skipBad ? r -> { } : LatentEncoder.BadRecords.fail();
        List<float[]> points = reference.records().filter(r -> r.position() % every == 0).mapPartitions(records -> LazyIterators.flatMap(
                LatentEncoder.encode(records, model, batch, false, bad), e -> {
                    List<float[]> out = new ArrayList<>();
                    for (int i = 0; i < e.records().size(); i++) {
                        int label = e.records().get(i).label();
                        if (label == latentdigits.data.DigitRecord.UNLABELLED) continue;
                        float[] point = java.util.Arrays.copyOf(e.mu(i, latent), latent + 1);
                        point[latent] = label;
                        out.add(point);
                    }
                    return out;
                })).collect();
        if (points.size() < k)
            throw new IllegalArgumentException("--knn-reference: expected at least " + k + " labelled images, found " + points.size());
        float[][] means = new float[points.size()][];
        int[] labels = new int[points.size()];
        for (int i = 0; i < means.length; i++) {
            means[i] = java.util.Arrays.copyOf(points.get(i), latent);
            labels[i] = (int) points.get(i)[latent];
        }
        return new NearestNeighbours(means, labels, k);
    }
}
