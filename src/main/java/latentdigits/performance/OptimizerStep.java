package latentdigits.performance;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * What DL4J's optimizer ({@code StochasticGradientDescent}) does to a graph once its gradient is in the graph's
 * flattened gradient view, for steps that compute that gradient themselves ({@link DenseChain}): the listeners'
 * {@code onGradientCalculation} (where a Spark worker averages the gradient with the others'), the graph's updater
 * (division by the minibatch size, Adam), {@code params -= update}, {@code iterationDone}, and the step count.
 */
public final class OptimizerStep {
    private OptimizerStep() {
    }

    /** @param gradient the graph's flattened gradient view, with the trained layers' views by DL4J's keys */
    public static void apply(ComputationGraph graph, Gradient gradient, int batchSize) {
        for (TrainingListener listener : graph.getListeners()) listener.onGradientCalculation(graph);
        var conf = graph.getConfiguration();
        int iteration = conf.getIterationCount(), epoch = conf.getEpochCount();
        graph.getUpdater().update(gradient, iteration, epoch, batchSize, LayerWorkspaceMgr.noWorkspaces());
        graph.params().subi(graph.getFlattenedGradients());
        for (TrainingListener listener : graph.getListeners()) listener.iterationDone(graph, iteration, epoch);
        conf.setIterationCount(iteration + 1);
    }
}
