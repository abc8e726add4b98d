package latentdigits.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Model;
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
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ObjectStreamException;
import java.io.Serializable;

/**
 * DL4J's ParameterAveragingTrainingMaster, corrected and made cheaper per averaging round. The workers, their training
 * loop, the split of the data into rounds and the averaging of parameters and Adam state are DL4J's own; three
 * things change on the driver side (measurements in docs/design.md):
 * <ol>
 * <li><b>Adam's step counter survives the round trip.</b> The stock worker builds its network each round from
 * {@code ComputationGraphConfiguration.clone()}, which drops {@code iterationCount}: every worker restarted Adam's bias
 * correction at step 0 after every averaging, shrinking its steps to 0.17-0.32 of their size for the whole run.
 * {@link StepCounterHook} restores the driver's count before a worker's first minibatch.</li>
 * <li><b>An outer learning rate.</b> After averaging, the round's change is scaled:
 * {@code new = old + eta * (mean(worker params) - old)}. eta = 1 is DL4J's plain average, which divides every update
 * by the number of workers; eta = number of workers applies the sum of their updates, to first order what one worker
 * would apply fitting the same minibatches in sequence (federated averaging's "server learning rate").</li>
 * <li><b>Parameters travel as float arrays.</b> ND4J serialises an INDArray one element at a time through a
 * DataOutputStream (and boxes every float when reading it back); that was most of the cost of a round. The broadcast
 * ({@link CompactBroadcastTuple}) and the workers' results ({@link FlatSum}) are shipped as plain float[] instead.</li>
 * </ol>
 */
public class AveragingTrainingMaster extends ParameterAveragingTrainingMaster {
    private final double outerLearningRate;
    private final StepCounterHook stepCounter = new StepCounterHook();

    public AveragingTrainingMaster(Builder builder, double outerLearningRate) {
        super(builder);
        if (!(outerLearningRate > 0))
            throw new IllegalArgumentException("--outer-learning-rate: expected > 0, found " + outerLearningRate);
        this.outerLearningRate = outerLearningRate;
        addHook(stepCounter);
    }

    public double outerLearningRate() {
        return outerLearningRate;
    }

    @Override
    public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
        ComputationGraph net = graph.getNetwork();
        // the worker (with this hook) is serialised when the round's Spark job starts, right after this call
        stepCounter.iteration = net.getConfiguration().getIterationCount();
        stepCounter.epoch = net.getConfiguration().getEpochCount();
        Broadcast<NetBroadcastTuple> broadcast = graph.getSparkContext().broadcast(
                new CompactBroadcastTuple(net.getConfiguration(), net.params(), net.getUpdater().getStateViewArray()));
        WorkerConfiguration configuration = new WorkerConfiguration(true, rddDataSetNumExamples, batchSizePerWorker,
                averagingFrequency, prefetchNumBatches, collectTrainingStats);
        return new ParameterAveragingTrainingWorker(broadcast, saveUpdater, configuration, trainingHookList, listeners,
                getRouterProvider());
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
        INDArray before = outerLearningRate == 1.0 ? null : net.params().dup();
        net.setParams(sum.mean(sum.parameters, net.params().dataType()));
        if (sum.updaterState != null)
            net.getUpdater().setStateViewArray(sum.mean(sum.updaterState, net.getUpdater().getStateViewArray().dataType()));
        graph.setScore(sum.score / sum.count);
        if (before != null) net.params().subi(before).muli(outerLearningRate).addi(before); // params() is the live view
        ComputationGraphConfiguration conf = net.getConfiguration();
        conf.setIterationCount(conf.getIterationCount() + averagingFrequency); // as the stock master does
    }

    /** A NetBroadcastTuple that crosses the wire as float arrays and turns back into a plain one on arrival. */
    static final class CompactBroadcastTuple extends NetBroadcastTuple {
        CompactBroadcastTuple(ComputationGraphConfiguration conf, INDArray parameters, INDArray updaterState) {
            super(conf, parameters, updaterState);
        }

        private Object writeReplace() throws ObjectStreamException {
            return new Wire(getGraphConfiguration(), FloatArrays.toBytes(floats(getParameters())),
                    getUpdaterState() == null ? null : FloatArrays.toBytes(floats(getUpdaterState())));
        }

        private record Wire(ComputationGraphConfiguration conf, byte[] parameters, byte[] updaterState) implements Serializable {
            private Object readResolve() throws ObjectStreamException {
                return new NetBroadcastTuple(conf, row(FloatArrays.fromBytes(parameters)),
                        updaterState == null ? null : row(FloatArrays.fromBytes(updaterState)));
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
            s.parameters = floats(result.getParameters());
            s.updaterState = floats(result.getUpdaterState());
            s.score = result.getScore();
            s.count = 1;
            return s;
        }

        FlatSum add(FlatSum other) {
            if (other.count == 0) return this;
            if (count == 0) return other;
            addInto(parameters, other.parameters);
            if (updaterState != null) addInto(updaterState, other.updaterState);
            score += other.score;
            count += other.count;
            return this;
        }

        INDArray mean(float[] values, DataType dataType) {
            return row(values).divi(count).castTo(dataType);
        }

        private static void addInto(float[] target, float[] values) {
            for (int i = 0; i < target.length; i++) target[i] += values[i];
        }
    }

    /** Bulk copy out of native memory (DataBuffer.asFloat() reads element by element). */
    static float[] floats(INDArray array) {
        if (array == null) return null;
        INDArray c = array.castTo(DataType.FLOAT).dup('c');
        float[] out = new float[(int) c.length()];
        c.data().asNioFloat().get(out);
        return out;
    }

    static INDArray row(float[] values) {
        INDArray row = Nd4j.createUninitialized(DataType.FLOAT, 1, values.length);
        row.data().asNioFloat().put(values);
        return row;
    }

    /** Sets a freshly built worker network's iteration and epoch counts to the driver's before its first minibatch. */
    static final class StepCounterHook implements TrainingHook {
        int iteration;
        int epoch;
        private transient boolean applied;

        @Override
        public void preUpdate(MultiDataSet minibatch, Model model) {
            apply(model);
        }

        @Override
        public void preUpdate(DataSet minibatch, Model model) {
            apply(model);
        }

        private void apply(Model model) {
            if (applied || !(model instanceof ComputationGraph graph)) return;
            graph.getConfiguration().setIterationCount(iteration);
            graph.getConfiguration().setEpochCount(epoch);
            applied = true;
        }

        @Override
        public void postUpdate(DataSet minibatch, Model model) {
        }

        @Override
        public void postUpdate(MultiDataSet minibatch, Model model) {
        }
    }
}
