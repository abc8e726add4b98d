package latentdigits.jobs;

import latentdigits.data.DigitSource;
import latentdigits.data.IdxHeader;
import latentdigits.data.Minibatches;
import latentdigits.distributed.AveragingSettings;
import latentdigits.distributed.TrainingShards;
import latentdigits.model.GanModel;
import latentdigits.runtime.Provenance;
import latentdigits.runtime.ClusterResources;
import latentdigits.runtime.SparkRuntime;
import latentdigits.util.UserError;
import latentdigits.train.GanSteps;
import latentdigits.train.TrainingEngine;
import latentdigits.util.HadoopConf;
import latentdigits.util.Json;
import latentdigits.util.RunDirectory;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every training job does around its model, from the flags of {@link Options#trainingFlags()}: opens the training
 * split, creates the run directory, writes config.json (effective configuration and provenance), loads the training
 * shards on the executors, and builds the engine --engine names. {@link #commit()} renames the run into place.
 */
final class TrainingRun implements AutoCloseable {
    private final Options.Args args;
    private final JavaSparkContext jsc;
    private final DigitSource train;
    private final int partitions;
    private final RunDirectory run;
    private final Provenance provenance;
    private TrainingShards shards;

    private TrainingRun(Options.Args args, JavaSparkContext jsc, DigitSource train, int partitions, RunDirectory run, Provenance provenance) {
        this.args = args;
        this.jsc = jsc;
        this.train = train;
        this.partitions = partitions;
        this.run = run;
        this.provenance = provenance;
    }

    /**
     * Opens the run of {@code job}: validates the training split (and {@code otherInputs}, recorded in provenance too),
     * refuses an existing --out unless --overwrite, and writes config.json.
     */
    static TrainingRun open(SparkSession spark, String job, Options.Args a, String[] commandLine, List<IdxHeader> otherInputs)
            throws IOException {
        JavaSparkContext jsc = SparkRuntime.context(spark);
        Configuration conf = jsc.hadoopConfiguration();
        DigitSource train = DigitSource.open(a.require("data"), DigitSource.Split.TRAIN, conf);
        boolean sparkEngine = Engines.spark(a.require("engine"));
        if (sparkEngine && jsc.getConf().getBoolean("spark.dynamicAllocation.enabled", false))
            throw new UserError("spark.dynamicAllocation.enabled: training stages need a fixed set of executors (Spark's barrier"
                    + " stages do not work with dynamic allocation); submit with --conf spark.dynamicAllocation.enabled=false");
        // the one-JVM engine uses the partitions only to load the shards
        int partitions = ClusterResources.partitions(jsc.sc(), a.integer("partitions", 0), sparkEngine);
        RunDirectory run = RunDirectory.create(a.require("out"), a.flag("overwrite"), conf);
        try {
            List<IdxHeader> inputs = new ArrayList<>(List.of(train.images(), train.labels()));
            inputs.addAll(otherInputs);
            Provenance provenance = Provenance.of(spark, partitions, a.longValue("seed", 0), inputs, conf, commandLine);
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("job", job);
            config.put("config", a.effective());
            config.put("provenance", provenance.toMap());
            run.writeText("config.json", Json.pretty(config));
            return new TrainingRun(a, jsc, train, partitions, run, provenance);
        } catch (IOException | RuntimeException e) {
            run.close();
            throw e;
        }
    }

    /** The training split on the executors, {@code holdOut} images (chosen with --seed) held out for validation. */
    TrainingShards loadShards(int holdOut) {
        shards = TrainingShards.load(jsc, train, new HadoopConf(jsc.hadoopConfiguration()), args.integer("train-limit", 0), holdOut,
                partitions, args.longValue("seed", 0));
        return shards;
    }

    /** The engine --engine names for a ComputationGraph (see {@link Engines#graph}). */
    TrainingEngine<ComputationGraph> graphEngine(int batch, AveragingSettings averaging, Minibatches.Maker<MultiDataSet> minibatch) {
        return Engines.graph(args.require("engine"), jsc, shards, batch, averaging, args.longValue("seed", 0), minibatch);
    }

    /** The engine --engine names for the GAN (see {@link Engines#gan}). */
    TrainingEngine<GanModel> ganEngine(int batch, GanSteps.LabelNoise labelNoise, int epochsPerStage) {
        return Engines.gan(args.require("engine"), jsc, shards, batch, labelNoise, args.longValue("seed", 0), epochsPerStage);
    }

    RunDirectory directory() {
        return run;
    }

    /** This run's provenance as model files carry it. */
    Map<String, Object> provenance() {
        return provenance.toMap();
    }

    JavaSparkContext sparkContext() {
        return jsc;
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
        if (shards != null) shards.close();
        run.close();
    }
}
