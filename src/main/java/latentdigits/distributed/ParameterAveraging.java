package latentdigits.distributed;

import latentdigits.data.Minibatches;
import latentdigits.train.NetworkState;
import latentdigits.train.TrainingEngine;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.UUID;

/**
 * Trains a ComputationGraph (the VAEs, the classifier) on Spark by parameter averaging, DL4J's scheme with two
 * corrections: Adam's step count survives every round, and each round's change is scaled by an outer learning rate
 * ({@link AveragingSettings}). The rounds run inside Spark barrier stages of one or more epochs
 * ({@link ParameterAveragingTask}), not one Spark job per round as DL4J's ParameterAveragingTrainingMaster runs them: a
 * job costs more than the minibatch it wraps (docs/experiments/averaging.md).
 */
public final class ParameterAveraging implements TrainingEngine<ComputationGraph> {
    private final JavaSparkContext jsc;
    private final TrainingShards shards;
    private final int batch;
    private final long seed;
    private final AveragingSettings averaging;
    private final Minibatches.Maker<MultiDataSet> minibatch;
    /** Names this run's networks in the executors' caches and its all-reduces. */
    private final String runId = UUID.randomUUID().toString();
    /** Seeds each epoch's workers (their sampling noise), so a seeded run repeats. */
    private final EpochSeeds epochSeeds;
    private final StagePlan plan;
    private final TrainingStages stages;
    /** The run's secret and socket settings, shared by all of its stages. */
    private final LinkSecurity security;
    /** The network's configuration, broadcast once per run: a stage then ships only its starting state. */
    private Broadcast<ComputationGraphConfiguration> configuration;
    private ComputationGraph graph;
    private int stageCount, onceCount;
    private double workerFitSeconds = Double.NaN;

    /** @param minibatch how the executors turn images into the graph's minibatches */
    public ParameterAveraging(JavaSparkContext jsc, TrainingShards shards, int batch, AveragingSettings averaging, StagePlan plan,
                              long seed, Minibatches.Maker<MultiDataSet> minibatch) {
        this(jsc, shards, shards.partitions(), batch, averaging, plan, seed, minibatch);
    }

    /** Without shards, for {@link #fitOnce}: {@code workers} workers. */
    ParameterAveraging(JavaSparkContext jsc, int workers, AveragingSettings averaging, long seed) {
        this(jsc, null, workers, 0, averaging, StagePlan.of(1, 1, jsc.getConf()), seed, null);
    }

    private ParameterAveraging(JavaSparkContext jsc, TrainingShards shards, int workers, int batch, AveragingSettings averaging,
                               StagePlan plan, long seed, Minibatches.Maker<MultiDataSet> minibatch) {
        this.jsc = jsc;
        this.shards = shards;
        this.batch = batch;
        this.seed = seed;
        this.averaging = averaging.forWorkers(workers);
        this.minibatch = minibatch;
        this.plan = plan;
        this.epochSeeds = new EpochSeeds(seed);
        this.security = LinkSecurity.forRun(jsc.getConf());
        this.stages = new TrainingStages(plan, jsc.sc(), workers, this::startStage);
    }

    @Override
    public long fitEpoch(ComputationGraph graph, int epoch, int epochs) {
        this.graph = graph;
        TrainingStage.Handover done = stages.next(epoch, epochs);
        done.networks().get(0).applyTo(graph);
        workerFitSeconds = done.fitSeconds();
        return shards.trainCount();
    }

    private TrainingStage startStage(int firstEpoch, int count) {
        return start(shards.blocks(), TrainingShards.epochsFrom(firstEpoch, seed, batch, minibatch), firstEpoch, count);
    }

    /** A stage of {@code count} epochs over {@code data}, each task cutting its minibatches with {@code cut}. */
    <T> TrainingStage start(org.apache.spark.api.java.JavaRDD<T> data, TrainingShards.EpochCutter<T, MultiDataSet> cut, int firstEpoch, int count) {
        long[] seeds = epochSeeds.forEpochs(firstEpoch, count);
        if (configuration == null) configuration = jsc.broadcast(graph.getConfiguration().clone());
        Broadcast<NetworkState> start = jsc.broadcast(NetworkState.of(graph));
        int epochCount = graph.getConfiguration().getEpochCount();
        Broadcast<ComputationGraphConfiguration> conf = configuration;
        return new TrainingStage(jsc, data, runId + "/" + (++stageCount), count, security,
                driver -> new ParameterAveragingTask<>(conf, start, epochCount, averaging, runId, seeds, cut, driver, security, plan.timeoutMillis()));
    }

    /** The same engine on given minibatches (tests): one stage of one epoch over {@code batches}, into {@code graph}. */
    void fitOnce(ComputationGraph graph, org.apache.spark.api.java.JavaRDD<MultiDataSet> batches) {
        this.graph = graph;
        try (TrainingStage stage = start(batches, (contents, partition, index) -> contents.iterator(), ++onceCount, 1)) {
            stage.next().networks().get(0).applyTo(graph);
        }
    }

    @Override
    public double workerFitSeconds() {
        return workerFitSeconds;
    }

    /** Ends the running stage: after its last epoch, or early (training stopped), cancelling it. */
    @Override
    public void close() {
        stages.close();
    }

}
