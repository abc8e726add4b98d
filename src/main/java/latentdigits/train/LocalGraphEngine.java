package latentdigits.train;

import latentdigits.data.DigitBlock;
import latentdigits.data.Minibatches;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/** One trainer in this JVM on the whole training set, shuffled each epoch ({@link GraphStep}): the reference. */
public final class LocalGraphEngine implements TrainingEngine<ComputationGraph> {
    private final DigitBlock images;
    private final long seed;
    private final int batch;
    private final Minibatches.Maker<MultiDataSet> minibatch;
    /** The step for the graph of the last epoch (built once: it holds the step's arrays). */
    private ComputationGraph stepGraph;
    private GraphStep step;

    public LocalGraphEngine(DigitBlock images, long seed, int batch, Minibatches.Maker<MultiDataSet> minibatch) {
        this.images = images;
        this.seed = seed;
        this.batch = batch;
        this.minibatch = minibatch;
    }

    @Override
    public long fitEpoch(ComputationGraph graph, int epoch, int epochs) {
        if (graph != stepGraph) {
            stepGraph = graph;
            step = GraphStep.of(graph);
        }
        for (var batches = Minibatches.ofAll(images, seed, epoch, batch, minibatch); batches.hasNext(); )
            step.fit(batches.next());
        return images.size();
    }
}
