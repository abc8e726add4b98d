package latentdigits.bench;

import latentdigits.util.Numbers;
import latentdigits.data.DigitSource;
import latentdigits.data.IdxInput;
import latentdigits.encode.EncodeStats;
import latentdigits.encode.LatentEncoder;
import latentdigits.encode.LatentTable;
import latentdigits.jobs.Options;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.runtime.ClusterResources;
import latentdigits.runtime.SparkRuntime;
import latentdigits.distributed.TrainingShards;
import latentdigits.train.TrainingEngine;
import latentdigits.distributed.StagePlan;
import latentdigits.jobs.Engines;
import latentdigits.jobs.VaeTrainingFlags;
import org.deeplearning4j.nn.graph.ComputationGraph;
import latentdigits.util.HadoopConf;
import latentdigits.util.Json;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One benchmark measurement in its own JVM (so timings and peak memory are its own), printed as one JSON line
 * prefixed "BENCH ". Started by {@link BenchJob}; arguments: train ENGINE MASTER WARMUP EPOCHS TRAIN_LIMIT [train-vae flags]
 * or encode MASTER SIZES.
 */
public final class BenchCase {
    static final String PREFIX = "BENCH ";

    private BenchCase() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> result = switch (args[0]) {
            case "train" -> train(args);
            case "encode" -> encode(args);
            default -> throw new IllegalArgumentException("unknown benchmark case " + args[0]);
        };
        result.put("peak_rss_mb", peakRssMb());
        System.out.println(PREFIX + Json.line(result));
        System.exit(0);
    }

    static Map<String, Object> train(String[] args) throws Exception {
        String engine = args[1], master = args[2], data = args[5];
        int warmup = Integer.parseInt(args[3]), epochs = Integer.parseInt(args[4]);
        List<String> flags = new ArrayList<>(List.of(args).subList(6, args.length));
        flags.addAll(List.of("--engine", engine));
        Options.Args a = VaeTrainingFlags.OPTIONS.parse(flags.toArray(String[]::new));
        long t0 = System.nanoTime();
        SparkSession spark = SparkRuntime.session("bench", master);
        JavaSparkContext jsc = SparkRuntime.context(spark);
        AtomicInteger jobs = new AtomicInteger();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart jobStart) {
                jobs.incrementAndGet();
            }
        });
        double startup = seconds(t0);
        long t1 = System.nanoTime();
        Configuration conf = jsc.hadoopConfiguration();
        int partitions = ClusterResources.partitions(jsc.sc(), 0, true);
        VaeNetworks.Spec spec = VaeTrainingFlags.spec(a);
        TrainingShards shards = TrainingShards.load(jsc, DigitSource.open(data, DigitSource.Split.TRAIN, conf), new HadoopConf(conf),
                a.integer("train-limit", 0), a.integer("validation", 0), partitions, spec.seed());
        double dataPrep = seconds(t1);
        VaeModel vae = VaeModel.create(spec);
        int latent = vae.latent();
        TrainingEngine<ComputationGraph> trainer = Engines.graph(engine, jsc, shards, a.integer("batch", 1), VaeTrainingFlags.averaging(a),
                StagePlan.of(a.integer("epochs-per-stage", 0), a.integer("max-stage-attempts", 1), jsc.getConf()), spec.seed(),
                (block, from, to) -> VaeModel.trainingBatch(block, from, to, latent));
        List<Double> epochSeconds = new ArrayList<>(), outsideFit = new ArrayList<>();
        List<Integer> jobsPerEpoch = new ArrayList<>();
        long images = 0;
        ThreadCpu cpuBefore = null;
        for (int epoch = 1; epoch <= warmup + epochs; epoch++) {
            if (epoch == warmup + 1) cpuBefore = ThreadCpu.snapshot();
            int jobsBefore = jobs.get();
            long start = System.nanoTime();
            images = trainer.fitEpoch(vae.graph(), epoch, warmup + epochs);
            double s = seconds(start);
            if (epoch <= warmup) continue;
            epochSeconds.add(s);
            jobsPerEpoch.add(jobs.get() - jobsBefore);
            // time the critical path spent outside fit(): the epoch minus a worker's time inside it
            if (!Double.isNaN(trainer.workerFitSeconds())) outsideFit.add(s - trainer.workerFitSeconds());
        }
        trainer.close();
        ThreadCpu cpuAfter = ThreadCpu.snapshot();
        double median = Numbers.median(epochSeconds);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("case", "train-vae " + (engine.equals("jvm") ? "one JVM (no Spark in the loop)" : "Spark " + master));
        r.put("engine", engine);
        r.put("master", engine.equals("jvm") ? "-" : master);
        r.put("partitions", partitions);
        r.put("images_per_epoch", images);
        r.put("epochs_measured", epochs);
        r.put("s_per_epoch", Numbers.round(median, 3));
        r.put("s_per_epoch_all", epochSeconds.stream().map(x -> Numbers.round(x, 3)).toList());
        r.put("images_per_s", Numbers.round(images / median, 0));
        r.put("spark_jobs_per_epoch", Numbers.round(jobsPerEpoch.stream().mapToInt(Integer::intValue).average().orElse(0), 2));
        r.put("outside_fit_s_per_epoch", outsideFit.isEmpty() ? 0 : Numbers.round(Numbers.median(outsideFit), 3));
        r.put("startup_s", Numbers.round(startup, 3));
        r.put("data_prep_s", Numbers.round(dataPrep, 3));
        r.put("averaging_frequency", a.integer("averaging-frequency", 1));
        r.put("batch", a.integer("batch", 1));
        if (cpuBefore.available() && cpuAfter.available()) { // Linux only
            Map<ThreadCpu.Role, Double> cpu = cpuAfter.secondsSince(cpuBefore);
            Map<String, Object> perEpoch = new LinkedHashMap<>();
            cpu.forEach((role, seconds) -> perEpoch.put(role.key, Numbers.round(seconds / epochs, 3)));
            r.put("cpu_s_per_epoch_by_thread", perEpoch);
            double wall = epochSeconds.stream().mapToDouble(Double::doubleValue).sum();
            r.put("cores_busy", Numbers.round(cpu.values().stream().mapToDouble(Double::doubleValue).sum() / wall, 2));
        }
        return r;
    }

    /**
     * The encode job's pipeline (records read by the tasks, encoded a batch at a time, written as Parquet by the
     * executors) over the test set tiled to each size, into a temporary directory removed after each size. The driver's
     * heap after a GC is read once a second while the job runs; its largest value is reported.
     */
    static Map<String, Object> encode(String[] args) throws Exception {
        String master = args[1], data = args[2];
        int batch = Integer.parseInt(args[3]);
        long[] sizes = java.util.Arrays.stream(args[4].split(",")).mapToLong(Long::parseLong).toArray();
        SparkSession spark = SparkRuntime.session("bench", master);
        JavaSparkContext jsc = SparkRuntime.context(spark);
        Configuration conf = jsc.hadoopConfiguration();
        String[] test = DigitSource.files(data, DigitSource.Split.TEST, conf);
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 1, DataType.FLOAT));
        Broadcast<byte[]> model = jsc.broadcast(vae.toBytes(Map.of("bench", true)));
        int slots = ClusterResources.partitions(jsc.sc(), 0, false);
        Path scratch = Files.createTempDirectory("bench-encode");
        List<Map<String, Object>> runs = new ArrayList<>();
        try {
            encodeOnce(spark, test, scratch, 10_000, 1, slots, batch, model); // warm-up
            for (long n : sizes) {
                int tiles = (int) ((n + 9_999) / 10_000);
                double heapBefore = heapAfterGcMb();
                java.util.concurrent.atomic.AtomicReference<Double> heapPeak = new java.util.concurrent.atomic.AtomicReference<>(heapBefore);
                java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
                sampler.scheduleAtFixedRate(() -> heapPeak.accumulateAndGet(heapAfterGcMb(), Math::max), 1, 1, java.util.concurrent.TimeUnit.SECONDS);
                long start = System.nanoTime();
                Map<String, Object> r = encodeOnce(spark, test, scratch, n, tiles, slots, batch, model);
                double s = seconds(start);
                sampler.shutdownNow();
                long rows = ((Number) r.get("images")).longValue();
                r.put("seconds", Numbers.round(s, 3));
                r.put("images_per_s", Numbers.round(rows / s, 0));
                r.put("driver_heap_before_mb", heapBefore);
                r.put("driver_heap_peak_after_gc_mb", heapPeak.get());
                runs.add(r);
                System.err.println("bench: encode " + Json.line(r));
            }
        } finally {
            org.apache.commons.io.FileUtils.deleteDirectory(scratch.toFile());
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("case", "encode (encoder only, Parquet out) Spark " + master);
        r.put("master", master);
        r.put("batch", batch);
        r.put("runs", runs);
        return r;
    }

    private static Map<String, Object> encodeOnce(SparkSession spark, String[] test, Path scratch, long n, int tiles, int slots,
                                                  int batch, Broadcast<byte[]> model) throws Exception {
        JavaSparkContext jsc = SparkRuntime.context(spark);
        IdxInput input = IdxInput.open(jsc, List.of(test[0]), List.of(test[1]), scratch.resolve("idx").toString(), n, tiles, 0, slots,
                Map.of("path", test[0], "tiles", tiles));
        EncodeStats stats = new EncodeStats(jsc.sc());
        Path out = scratch.resolve("latent-" + n + ".parquet");
        spark.createDataFrame(LatentTable.encoded(input.records(), model, batch, false, false, 2, LatentEncoder.BadRecords.fail(), stats, null, null),
                LatentTable.schema(2, false)).write().parquet(out.toUri().toString());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("images", stats.images.value());
        r.put("tasks", input.records().getNumPartitions());
        r.put("parquet_mb", Numbers.round(org.apache.commons.io.FileUtils.sizeOfDirectory(out.toFile()) / 1048576.0, 1));
        org.apache.commons.io.FileUtils.deleteDirectory(out.toFile());
        return r;
    }

    static double heapAfterGcMb() {
        System.gc();
        return Numbers.round(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0, 1);
    }

    /** VmHWM: the process's peak resident set (heap, ND4J's off-heap buffers and native libraries). */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmHWM:")) return Numbers.round(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0, 1);
        } catch (Exception ignored) {
            // not Linux: reported as -1
        }
        return -1;
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
