package latentdigits.train;

import latentdigits.data.DigitBlock;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;


/**
 * Fits one ComputationGraph an epoch at a time on the training shards: on Spark through {@link AveragingTrainingMaster}
 * (DL4J's parameter averaging, corrected; with barrier rounds, several epochs per Spark stage), or, as the reference,
 * with plain fit() in this JVM on minibatches made the same way. Shared by the VAEs and the digit classifier.
 */
final class GraphEpochs implements AutoCloseable {
    private final ComputationGraph graph;
    private final TrainingShards shards;
    private final int batch;
    private final long seed;
    private final AveragingRounds averaging;
    private final TrainingShards.BatchMaker<MultiDataSet> minibatch;
    private final AveragingTrainingMaster master;
    private final SparkComputationGraph sparkGraph;
    private final DigitBlock localTrain;
    private final EpochStage.Sequence<BarrierRounds.EpochEnd> stages;
    private double workerFitSeconds = Double.NaN;

    GraphEpochs(JavaSparkContext jsc, ComputationGraph graph, TrainingShards shards, Engine engine, int batch,
                AveragingRounds averaging, long seed,
                TrainingShards.BatchMaker<MultiDataSet> minibatch) {
        this.graph = graph;
        this.shards = shards;
        this.batch = batch;
        this.seed = seed;
        this.averaging = averaging;
        this.minibatch = minibatch;
        if (engine == Engine.SPARK) {
            this.master = AveragingTrainingMaster.create(shards.partitions(), batch, averaging, seed);
            this.sparkGraph = new SparkComputationGraph(jsc, graph, master);
            this.localTrain = null;
            this.stages = new EpochStage.Sequence<>(averaging.epochsPerStage(), (first, count) ->
                    master.startEpochs(sparkGraph, shards.blocks(), TrainingShards.epochsFrom(first, seed, batch, minibatch), count));
        } else {
            this.stages = null;
            this.master = null;
            this.sparkGraph = null;
            this.localTrain = shards.trainSample(Integer.MAX_VALUE);
        }
    }

    /** Epoch {@code epoch} of {@code epochs}: one pass over the training images; returns how many there were. */
    long fitEpoch(int epoch, int epochs) {
        if (sparkGraph != null && averaging.barrierStage()) {
            EpochStage.Epoch<BarrierRounds.EpochEnd> done = stages.next(epoch, epochs);
            done.networks().applyTo(graph);
            workerFitSeconds = done.workerFitSeconds();
        } else if (sparkGraph != null) {
            JavaRDD<MultiDataSet> batches = shards.epochBatches(epoch, seed, batch, minibatch);
            sparkGraph.fitMultiDataSet(batches);
            batches.unpersist(false); // the stock master persists what it is given and never releases it
        } else {
            for (var batches = TrainingShards.oneJvmEpoch(localTrain, seed, epoch, batch, minibatch); batches.hasNext(); )
                graph.fit(batches.next());
        }
        return shards.trainCount();
    }

    /** Partition 0's seconds inside fit() in the last epoch (barrier rounds only; NaN otherwise). */
    double workerFitSeconds() {
        return workerFitSeconds;
    }

    /** Ends the running stage: after its last epoch, or early (training stopped), cancelling it. */
    @Override
    public void close() {
        if (stages != null) stages.close();
    }

    /** The Spark master in use, or null for the single-JVM engine. */
    AveragingTrainingMaster master() {
        return master;
    }
}
