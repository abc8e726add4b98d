package latentdigits.train;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * DL4J's ParameterAveragingTrainingMaster with two corrections, both on the driver side of the stock machinery
 * (workers, broadcast, averaging of parameters and Adam state are DL4J's own):
 * <ol>
 * <li><b>Adam's step counter survives the round trip.</b> Each round the stock worker builds its network from
 * {@code ComputationGraphConfiguration.clone()}, which drops {@code iterationCount}: every worker restarts Adam's bias
 * correction at step 0 after every averaging, which shrinks its steps to 0.17-0.32 of their size for the whole run
 * (a single Spark worker reached test NELBO 176.4 after 3 epochs where plain fit() reached 167.8).
 * {@link StepCounterHook} restores the driver's count before a worker's first minibatch.</li>
 * <li><b>An outer learning rate.</b> After the stock averaging the round's change is scaled:
 * {@code new = old + eta * (mean(worker params) - old)}. eta = 1 is DL4J's plain average, which divides every update
 * by the number of workers; eta = number of workers applies the sum of their updates, to first order what one worker
 * would apply fitting the same minibatches in sequence (federated averaging's "server learning rate").</li>
 * </ol>
 * See docs/design.md for the measurements.
 */
public class OuterStepTrainingMaster extends ParameterAveragingTrainingMaster {
    private final double outerLearningRate;
    private final StepCounterHook stepCounter = new StepCounterHook();

    public OuterStepTrainingMaster(Builder builder, double outerLearningRate) {
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
        // the worker (with this hook) is serialised when the round's Spark job starts, right after this call
        stepCounter.iteration = graph.getNetwork().getConfiguration().getIterationCount();
        stepCounter.epoch = graph.getNetwork().getConfiguration().getEpochCount();
        return super.getWorkerInstance(graph);
    }

    @Override
    protected void processResults(SparkDl4jMultiLayer network, SparkComputationGraph graph,
                                  JavaRDD<ParameterAveragingTrainingResult> results, int splitNum, int totalSplits) {
        Model model = network != null ? network.getNetwork() : graph.getNetwork();
        INDArray before = outerLearningRate == 1.0 ? null : model.params().dup();
        super.processResults(network, graph, results, splitNum, totalSplits);
        if (before != null) {
            INDArray params = model.params(); // the network's own flattened view: updated in place
            params.subi(before).muli(outerLearningRate).addi(before);
        }
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
