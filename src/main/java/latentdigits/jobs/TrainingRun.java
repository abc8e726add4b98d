package latentdigits.jobs;

import latentdigits.data.DigitSource;
import latentdigits.data.IdxHeader;
import latentdigits.data.Minibatches;
import latentdigits.distributed.AveragingSettings;
import latentdigits.distributed.StagePlan;
import latentdigits.distributed.TrainingShards;
import latentdigits.model.GanModel;
import latentdigits.runtime.ClusterResources;
import latentdigits.runtime.Provenance;
import latentdigits.runtime.SparkRuntime;
import latentdigits.train.GanSteps;
import latentdigits.train.Trainer;
import latentdigits.train.TrainingDivergedException;
import latentdigits.train.TrainingEngine;
import latentdigits.train.TrainingLoop;
import latentdigits.util.JobFailure;
import latentdigits.util.Json;
import latentdigits.report.LiveReport;
import latentdigits.util.RunDirectory;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What every training job does around its model, from the flags of {@link Options#trainingFlags()}: opens the training
 * split and --out ({@link RunOutput}: a finished run with these flags is complete, an unfinished one is continued),
 * writes config.json (effective configuration and provenance), loads the training shards on the executors, builds the
 * engine --engine names, and runs the training loop, keeping the run for --resume if it fails after an epoch.
 * {@link #commit()} renames the run into place.
 */
final class TrainingRun implements AutoCloseable {
    /** The command line as the user typed it, set by submit.sh. */
    static final String COMMAND_KEY = "spark.latentdigits.command";

    private final String job;
    private final Options.Args args;
    private final String[] commandLine;
    private final JavaSparkContext jsc;
    private final DigitSource train;
    private final int partitions;
    private final RunDirectory run;
    /** The live page, with --live. */
    private LiveReport live;
    private final Provenance provenance;
    private final Map<String, Object> initFrom;
    private TrainingShards shards;

    private TrainingRun(String job, Options.Args args, String[] commandLine, JavaSparkContext jsc, DigitSource train, int partitions,
                        RunDirectory run, Provenance provenance, Map<String, Object> initFrom) {
        this.job = job;
        this.args = args;
        this.commandLine = commandLine;
        this.jsc = jsc;
        this.train = train;
        this.partitions = partitions;
        this.run = run;
        this.provenance = provenance;
        this.initFrom = initFrom;
    }

    /**
     * Opens the run of {@code job}: validates the training split (and {@code otherInputs}, recorded in provenance too),
     * refuses an existing --out unless --overwrite, and writes config.json — or, with --resume, checks the unfinished
     * run's config.json against these flags and records the resumption in it.
     */
    static TrainingRun open(SparkSession spark, String job, Options.Args a, String[] commandLine, List<IdxHeader> otherInputs)
            throws IOException {
        return open(spark, job, a, commandLine, otherInputs, java.util.Optional.empty());
    }

    /** As {@link #open}, for a run that starts from {@code warmStart}'s model (recorded in provenance as "init_from"). */
    static TrainingRun open(SparkSession spark, String job, Options.Args a, String[] commandLine, List<IdxHeader> otherInputs,
                            java.util.Optional<WarmStart> warmStart) throws IOException {
        JavaSparkContext jsc = SparkRuntime.context(spark);
        Configuration conf = jsc.hadoopConfiguration();
        DigitSource train = DigitSource.open(a.require("data"), DigitSource.Split.TRAIN, conf);
        boolean sparkEngine = Engines.spark(a.require("engine"));
        if (sparkEngine && jsc.getConf().getBoolean("spark.dynamicAllocation.enabled", false))
            throw new UserError("spark.dynamicAllocation.enabled: training stages need a fixed set of executors (Spark's barrier"
                    + " stages do not work with dynamic allocation); submit with --conf spark.dynamicAllocation.enabled=false");
        StagePlan.of(a.integer("epochs-per-stage", 0), a.integer("max-stage-attempts", 1), jsc.getConf()); // bad values fail now
        List<String> inputPaths = new ArrayList<>(List.of(a.require("data")));
        if (a.get("init-from") != null) inputPaths.add(a.get("init-from"));
        RunOutput.Opened opened = RunOutput.open(job, a, conf, inputPaths);
        if (opened.complete()) return new TrainingRun(job, a, commandLine, jsc, train, 0, opened.run(), null, null);
        RunDirectory run = opened.run();
        try {
            // the one-JVM engine uses the partitions only to load the shards
            int partitions = ClusterResources.partitions(jsc.sc(), a.integer("partitions", 0), sparkEngine);
            List<IdxHeader> inputs = new ArrayList<>(List.of(train.images(), train.labels()));
            inputs.addAll(otherInputs);
            Provenance provenance = Provenance.of(spark, partitions, a.longValue("seed", 0), inputs, conf, commandLine);
            Map<String, Object> initFrom = warmStart.map(WarmStart::provenance).orElse(null);
            TrainingRun training = new TrainingRun(job, a, commandLine, jsc, train, partitions, run, provenance, initFrom);
            if (opened.state() == RunOutput.State.CONTINUED) recordResumption(run, provenance);
            else run.writeText("config.json", Json.pretty(config(job, a, training.provenance())));
            if (a.flag("live")) {
                training.live = LiveReport.start(job, run.stagingPath(), conf, a.integer("live-port", 0));
                System.out.println(job + ": live progress at " + training.live.address() + " (this machine only)");
            }
            return training;
        } catch (IOException | RuntimeException e) {
            if (opened.state() == RunOutput.State.CONTINUED) run.keepForResume();
            run.close();
            throw e;
        }
    }

    /** True when --out already holds this job's finished run with the same configuration: nothing to do. */
    boolean complete() {
        return provenance == null;
    }

    /** A finished run's file (for a job that found its --out complete). */
    byte[] finishedFile(String relative) throws IOException {
        return run.readFinished(relative);
    }

    /** The finished run's metrics rows, saying that there was nothing to do. */
    List<Map<String, Object>> finishedRows() throws IOException {
        System.out.println(job + ": " + run.finalPath() + " is complete already (a finished run with the same configuration); nothing to do");
        byte[] metrics = run.readFinished("metrics.jsonl");
        List<Map<String, Object>> rows = new ArrayList<>();
        if (metrics != null)
            for (String line : new String(metrics, StandardCharsets.UTF_8).split("\n")) if (!line.isBlank()) rows.add(Json.parse(line));
        return rows;
    }

    private static Map<String, Object> config(String job, Options.Args a, Map<String, Object> provenance) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("job", job);
        config.put("config", a.effective());
        config.put("provenance", provenance);
        return config;
    }

    /**
     * A continued run must compute what the interrupted one would have: besides the flags ({@link RunOutput}), the same
     * partitions and data. Anything else is refused, naming what differs; the resumption is added to config.json's
     * "resumed" list.
     */
    @SuppressWarnings("unchecked")
    private static void recordResumption(RunDirectory run, Provenance provenance) throws IOException {
        Map<String, Object> kept = Json.parse(new String(run.readUnfinished("config.json"), StandardCharsets.UTF_8));
        Map<String, Object> wasProvenance = (Map<String, Object>) kept.get("provenance");
        List<String> differences = new ArrayList<>();
        Object partitionsThen = wasProvenance.get("partitions");
        if (partitionsThen != null && ((Number) partitionsThen).intValue() != provenance.partitions())
            differences.add("partitions " + partitionsThen + " then, " + provenance.partitions() + " now");
        if (!String.valueOf(wasProvenance.get("data_sha256")).equals(String.valueOf(provenance.toMap().get("data_sha256"))))
            differences.add("the data files' SHA-256");
        if (!differences.isEmpty())
            throw new UserError("the unfinished run in " + run.stagingPath() + " was made with other inputs: " + String.join("; ", differences)
                    + "; pass --overwrite to start over");
        List<Object> resumed = new ArrayList<>((List<Object>) kept.getOrDefault("resumed", List.of()));
        Map<String, Object> now = new LinkedHashMap<>();
        now.put("at", Instant.now().toString());
        now.put("host", provenance.host());
        now.put("command_line", provenance.commandLine());
        now.put("spark_master", provenance.sparkMaster());
        resumed.add(now);
        kept.put("resumed", resumed);
        run.writeText("config.json", Json.pretty(kept));
    }

    /** The training split on the executors, {@code holdOut} images (chosen with --seed) held out for validation. */
    TrainingShards loadShards(int holdOut) {
        shards = TrainingShards.load(jsc, train, new latentdigits.util.HadoopConf(jsc.hadoopConfiguration()), args.integer("train-limit", 0),
                holdOut, partitions, args.longValue("seed", 0));
        return shards;
    }

    /** How the flags group the epochs into Spark stages and retry a failed one. */
    private StagePlan plan() {
        return StagePlan.of(args.integer("epochs-per-stage", 0), args.integer("max-stage-attempts", 1), jsc.getConf());
    }

    /** The engine --engine names for a ComputationGraph (see {@link Engines#graph}). */
    TrainingEngine<ComputationGraph> graphEngine(int batch, AveragingSettings averaging, Minibatches.Maker<MultiDataSet> minibatch) {
        return Engines.graph(args.require("engine"), jsc, shards, batch, averaging, plan(), args.longValue("seed", 0), minibatch);
    }

    /** The engine --engine names for the GAN (see {@link Engines#gan}). */
    TrainingEngine<GanModel> ganEngine(int batch, GanSteps.LabelNoise labelNoise) {
        return Engines.gan(args.require("engine"), jsc, shards, batch, labelNoise, plan(), args.longValue("seed", 0));
    }

    /**
     * Runs the training loop (from the checkpoint, when resuming). If training fails after an epoch was checkpointed,
     * the run is kept for --resume and the failure names the command that continues it.
     */
    List<Map<String, Object>> train(Trainer trainer, int epochs) throws IOException {
        try {
            return TrainingLoop.run(trainer, epochs, run);
        } catch (TrainingDivergedException | UserError e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            RunDirectory.Stored checkpoint;
            try {
                checkpoint = run.latestCheckpoint();
            } catch (IOException unreadable) {
                throw e;
            }
            if (checkpoint == null) throw e;
            run.keepForResume();
            String why = e instanceof JobFailure ? e.getMessage() : e.toString().lines().findFirst().orElse(e.toString());
            throw new JobFailure(why + ". The finished epochs are kept in " + run.stagingPath() + "; continue with: " + resumeCommand(), e);
        }
    }

    /**
     * The command that continues this run: the command as typed (submit.sh passes it as {@value #COMMAND_KEY}) with
     * --resume; without it, this job's flags with the master.
     */
    private String resumeCommand() {
        String typed = jsc.getConf().get(COMMAND_KEY, "");
        if (!typed.isBlank()) return typed.contains(" --resume") ? typed : typed + " --resume";
        List<String> words = new ArrayList<>(List.of("./submit.sh", job));
        words.addAll(List.of(commandLine));
        String master = jsc.master();
        if (!SparkRuntime.isLocal(master) && !words.contains("--master") && words.stream().noneMatch(w -> w.startsWith("--master=")))
            words.addAll(List.of("--master", master));
        if (!words.contains("--resume")) words.add("--resume");
        return String.join(" ", words);
    }

    RunDirectory directory() {
        return run;
    }

    /** This run's provenance as config.json and model files carry it, with the model it started from, if any. */
    Map<String, Object> provenance() {
        Map<String, Object> map = provenance.toMap();
        if (initFrom != null) map.put("init_from", initFrom);
        return map;
    }

    Configuration hadoopConfiguration() {
        return jsc.hadoopConfiguration();
    }

    /** Renames the finished run into place. */
    void commit() throws IOException {
        if (shards != null) shards.close();
        shards = null;
        run.commit();
    }

    @Override
    public void close() throws IOException {
        if (live != null) live.close();
        if (shards != null) shards.close();
        if (!complete()) run.close();
    }
}
