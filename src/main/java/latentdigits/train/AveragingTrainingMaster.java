package latentdigits.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.io.ObjectStreamException;
import java.io.Serializable;
import java.util.Map;

/**
 * DL4J's ParameterAveragingTrainingMaster, corrected and made cheaper per averaging round. The workers, their training
 * loop, the split of the data into rounds and the averaging of parameters and Adam state are DL4J's own; three
 * things change on the driver side (measurements in docs/design.md):
 * <ol>
 * <li><b>Adam's step counter survives the round trip.</b> The stock worker builds its network each round from
 * {@code ComputationGraphConfiguration.clone()}, which drops {@code iterationCount}: every worker restarted Adam's bias
 * correction at step 0 after every averaging, shrinking its steps to 0.17-0.32 of their size for the whole run.
 * {@link ReusingWorker} sets the driver's count on the worker's network.</li>
 * <li><b>An outer learning rate.</b> After averaging, the round's change is scaled:
 * {@code new = old + eta * (mean(worker params) - old)}. eta = 1 is DL4J's plain average, which divides every update
 * by the number of workers; eta = number of workers applies the sum of their updates, to first order what one worker
 * would apply fitting the same minibatches in sequence (federated averaging's "server learning rate").</li>
 * <li><b>Parameters travel as float arrays.</b> ND4J serialises an INDArray one element at a time through a
 * DataOutputStream (and boxes every float when reading it back); that was most of the cost of a round. The broadcast
 * ({@link CompactBroadcastTuple}) and the workers' results ({@link FlatSum}) are shipped as plain float[] instead,
 * and each executor thread keeps its network between rounds ({@link ReusingWorker}) instead of building a new one.</li>
 * </ol>
 */
public class AveragingTrainingMaster extends ParameterAveragingTrainingMaster {
    private final AveragingRounds averaging;
    /** Seeds each barrier stage's workers (their sampling noise), so a seeded run repeats. */
    private final java.util.Random stageSeeds;
    /** Identifies this training run's networks in the executors' caches. */
    private final String runId = java.util.UUID.randomUUID().toString();
    /** Barrier stages started so far, naming each for its workers' reports. */
    private int stages;
    /** The network's configuration, broadcast once per run: each round then ships only parameters and Adam state. */
    private transient Broadcast<ComputationGraphConfiguration> configuration;

    /** @param averaging with the outer learning rate resolved ({@link AveragingRounds#forWorkers}) */
    public AveragingTrainingMaster(Builder builder, AveragingRounds averaging, long seed) {
        super(builder);
        if (!(averaging.outerLearningRate() > 0))
            throw new IllegalArgumentException("outer learning rate: expected > 0, found " + averaging.outerLearningRate());
        this.averaging = averaging;
        this.stageSeeds = new java.util.Random(seed);
    }

    /**
     * The master as this project trains with it: {@code partitions} workers of {@code batch} images each, averaging
     * every {@code averagingFrequency} minibatches with Adam's state included, on minibatches that the executors
     * build and keep (no repartitioning, no export to files).
     */
    public static AveragingTrainingMaster create(int partitions, int batch, AveragingRounds averaging, long seed) {
        averaging = averaging.forWorkers(partitions);
        Builder builder = new Builder(partitions, batch)
                .batchSizePerWorker(batch)
                .averagingFrequency(averaging.frequency())
                .workerPrefetchNumBatches(0)
                .saveUpdater(true) // Adam's moments are averaged along with the parameters
                .rddTrainingApproach(org.deeplearning4j.spark.api.RDDTrainingApproach.Direct)
                .storageLevel(org.apache.spark.storage.StorageLevel.MEMORY_ONLY()) // minibatches built on the executors stay as objects
                .repartionData(org.deeplearning4j.spark.api.Repartition.Never) // partitions are already balanced by TrainingShards
                .collectTrainingStats(false)
                .rngSeed(seed);
        return new AveragingTrainingMaster(builder, averaging, seed);
    }

    @Override
    public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
        ComputationGraph net = graph.getNetwork();
        if (configuration == null) configuration = graph.getSparkContext().broadcast(net.getConfiguration().clone());
        Broadcast<NetBroadcastTuple> broadcast = graph.getSparkContext().broadcast(
                new CompactBroadcastTuple(net.params(), net.getUpdater().getStateViewArray()));
        WorkerConfiguration workerConfiguration = new WorkerConfiguration(true, rddDataSetNumExamples, batchSizePerWorker,
                averagingFrequency, prefetchNumBatches, collectTrainingStats);
        return new ReusingWorker(broadcast, configuration, saveUpdater, workerConfiguration, trainingHookList, listeners,
                getRouterProvider(), runId, net.getConfiguration().getIterationCount(), net.getConfiguration().getEpochCount());
    }

    /**
     * Starts a barrier stage training {@code epochs} epochs on {@code data}, each partition cutting its own minibatches
     * ({@link BarrierRounds}); step through it with {@link EpochStage#next}.
     */
    <T> EpochStage<BarrierRounds.EpochEnd> startEpochs(SparkComputationGraph graph, JavaRDD<T> data,
                                                       TrainingShards.EpochCutter<T, MultiDataSet> cut, int epochs) {
        long[] seeds = EpochStage.epochSeeds(stageSeeds, epochs);
        ParameterAveragingTrainingWorker worker = getWorkerInstance(graph);
        return new EpochStage<>(graph.getSparkContext(), data, runId + "/" + (++stages), epochs,
                driver -> new BarrierRounds<>(worker, averaging, runId, seeds, cut, driver));
    }

    /** DL4J's entry point, given one epoch's minibatches: with barrier rounds, one stage of one epoch. */
    @Override
    public void executeTrainingMDS(SparkComputationGraph graph, JavaRDD<MultiDataSet> trainingData) {
        if (!averaging.barrierStage() || collectTrainingStats || statsStorage != null) {
            super.executeTrainingMDS(graph, trainingData);
            return;
        }
        try (EpochStage<BarrierRounds.EpochEnd> stage = startEpochs(graph, trainingData, (minibatches, partition, index) -> minibatches.iterator(), 1)) {
            stage.next().networks().applyTo(graph.getNetwork());
        }
    }

    @Override
    protected void processResults(SparkDl4jMultiLayer network, SparkComputationGraph graph,
                                  JavaRDD<ParameterAveragingTrainingResult> results, int splitNum, int totalSplits) {
        if (graph == null || collectTrainingStats || statsStorage != null) {
            super.processResults(network, graph, results, splitNum, totalSplits); // paths this project does not use
            return;
        }
        // named function classes, not lambdas: Spark re-reads a lambda's class bytecode to clean it on every job
        FlatSum sum = results.treeAggregate(new FlatSum(), new AddResult(), new AddSums(), aggregationDepth);
        if (sum.count == 0) return; // an empty round (all its minibatches fell to other rounds)
        ComputationGraph net = graph.getNetwork();
        double outerLearningRate = averaging.outerLearningRate();
        INDArray before = outerLearningRate == 1.0 ? null : net.params().dup();
        net.setParams(sum.mean(sum.parameters, net.params().dataType()));
        if (sum.updaterState != null)
            net.getUpdater().setStateViewArray(sum.mean(sum.updaterState, net.getUpdater().getStateViewArray().dataType()));
        graph.setScore(sum.score / sum.count);
        if (before != null) net.params().subi(before).muli(outerLearningRate).addi(before); // params() is the live view
        ComputationGraphConfiguration conf = net.getConfiguration();
        conf.setIterationCount(conf.getIterationCount() + averagingFrequency); // as the stock master does
    }

    /**
     * A round's NetBroadcastTuple: parameters and Adam state only (the configuration travels once, separately),
     * crossing the wire as bytes and turning back into a plain tuple on arrival.
     */
    static final class CompactBroadcastTuple extends NetBroadcastTuple {
        CompactBroadcastTuple(INDArray parameters, INDArray updaterState) {
            super((ComputationGraphConfiguration) null, parameters, updaterState);
        }

        private Object writeReplace() throws ObjectStreamException {
            return new Wire(FloatArrays.bytes(getParameters()),
                    FloatArrays.bytes(getUpdaterState()));
        }

        private record Wire(byte[] parameters, byte[] updaterState) implements Serializable {
            private Object readResolve() throws ObjectStreamException {
                return new NetBroadcastTuple((ComputationGraphConfiguration) null, FloatArrays.row(FloatArrays.fromBytes(parameters)),
                        updaterState == null ? null : FloatArrays.row(FloatArrays.fromBytes(updaterState)));
            }
        }
    }

    static final class AddResult implements org.apache.spark.api.java.function.Function2<FlatSum, ParameterAveragingTrainingResult, FlatSum> {
        @Override
        public FlatSum call(FlatSum sum, ParameterAveragingTrainingResult result) {
            return sum.add(FlatSum.of(result));
        }
    }

    static final class AddSums implements org.apache.spark.api.java.function.Function2<FlatSum, FlatSum, FlatSum> {
        @Override
        public FlatSum call(FlatSum a, FlatSum b) {
            return a.add(b);
        }
    }

    /** Running sum of workers' results: parameters, Adam state and score, as float arrays (bytes on the wire). */
    static final class FlatSum implements Serializable {
        transient float[] parameters;
        transient float[] updaterState;
        double score;
        int count;

        private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
            out.defaultWriteObject();
            out.writeObject(parameters == null ? null : FloatArrays.toBytes(parameters));
            out.writeObject(updaterState == null ? null : FloatArrays.toBytes(updaterState));
        }

        private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
            in.defaultReadObject();
            byte[] p = (byte[]) in.readObject(), u = (byte[]) in.readObject();
            parameters = p == null ? null : FloatArrays.fromBytes(p);
            updaterState = u == null ? null : FloatArrays.fromBytes(u);
        }

        static FlatSum of(ParameterAveragingTrainingResult result) {
            FlatSum s = new FlatSum();
            if (result.getParameters() == null) return s; // a worker whose partition had no minibatch this round
            s.parameters = FloatArrays.floats(result.getParameters());
            s.updaterState = FloatArrays.floats(result.getUpdaterState());
            s.score = result.getScore();
            s.count = 1;
            return s;
        }

        FlatSum add(FlatSum other) {
            if (other.count == 0) return this;
            if (count == 0) return other;
            FloatArrays.addInto(parameters, other.parameters);
            if (updaterState != null) FloatArrays.addInto(updaterState, other.updaterState);
            score += other.score;
            count += other.count;
            return this;
        }

        INDArray mean(float[] values, DataType dataType) {
            return FloatArrays.row(values).divi(count).castTo(dataType);
        }

    }

    /**
     * The stock worker, except that each executor thread keeps one network per training run and only loads the
     * round's parameters, Adam state and step counts into it (the stock worker builds and initialises a new network
     * every round, and loses the step count on the way).
     */
    static final class ReusingWorker extends ParameterAveragingTrainingWorker {
        private static final ThreadLocal<Map.Entry<String, ComputationGraph>> CACHE = new ThreadLocal<>();
        private final Broadcast<NetBroadcastTuple> broadcast;
        private final Broadcast<ComputationGraphConfiguration> configuration;
        private final String runId;
        private final int iteration;
        private final int epoch;

        ReusingWorker(Broadcast<NetBroadcastTuple> broadcast, Broadcast<ComputationGraphConfiguration> graphConfiguration,
                      boolean saveUpdater, WorkerConfiguration configuration,
                      java.util.Collection<TrainingHook> hooks, java.util.Collection<org.deeplearning4j.optimize.api.TrainingListener> listeners,
                      org.deeplearning4j.core.storage.StatsStorageRouterProvider routerProvider, String runId, int iteration, int epoch) {
            super(broadcast, saveUpdater, configuration, hooks, listeners, routerProvider);
            this.broadcast = broadcast;
            this.configuration = graphConfiguration;
            this.runId = runId;
            this.iteration = iteration;
            this.epoch = epoch;
        }

        @Override
        public ComputationGraph getInitialModelGraph() {
            NetBroadcastTuple tuple = broadcast.getValue();
            Map.Entry<String, ComputationGraph> cached = CACHE.get();
            ComputationGraph net;
            if (cached != null && cached.getKey().equals(runId)) {
                net = cached.getValue();
                net.setParams(tuple.getParameters());
            } else { // first round on this thread: built as the stock worker does
                net = new ComputationGraph(configuration.getValue().clone());
                net.init(tuple.getParameters().dup(), false);
                CACHE.set(Map.entry(runId, net));
            }
            if (tuple.getUpdaterState() != null) net.getUpdater().setStateViewArray(tuple.getUpdaterState());
            net.getConfiguration().setIterationCount(iteration);
            net.getConfiguration().setEpochCount(epoch);
            return net;
        }
    }
}
