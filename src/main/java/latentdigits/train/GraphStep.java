package latentdigits.train;

import latentdigits.model.DenseVaeStep;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * One training step of a graph on a minibatch: DL4J's {@code fit}, or, for a network that has one, a step computed
 * outside DL4J's graph machinery that trains to the same numbers ({@link DenseVaeStep}: the MLP VAE). The training
 * score that {@code fit} also computes is not kept: nothing reads it during training.
 */
@FunctionalInterface
public interface GraphStep {
    void fit(MultiDataSet batch);

    static GraphStep of(ComputationGraph graph) {
        DenseVaeStep dense = DenseVaeStep.of(graph);
        if (dense != null) return dense::fit;
        return batch -> graph.fit(batch);
    }
}
