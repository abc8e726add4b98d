package latentdigits.distributed;

import latentdigits.util.FloatArrays;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayerWithBackprop;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Synchronous data parallelism inside DL4J's own fit(): DL4J calls {@link #onGradientCalculation} after the
 * backward pass and before Adam turns the gradient into an update, so replacing the gradient there with its mean over
 * all workers makes every worker apply the same Adam step to the same parameters — one trainer with the workers'
 * minibatches put together, which is what a GAN needs (averaging the players' parameters after separate Adam steps
 * collapsed it; docs/experiments/gan.md).
 */
final class AllReducedGradients extends BaseTrainingListener {
    private final StageAllReduce allReduce;
    /**
     * Each network's {@link #trainedPart} (a view of its flat gradient, which lives as long as the network) and the heap
     * copy it is summed from, reused step after step: one buffer for both GAN players was reallocated twice a step.
     */
    private final Map<Model, Part> trained = new IdentityHashMap<>();

    private record Part(INDArray gradient, float[] buffer) {
        static Part of(Model model) {
            INDArray gradient = trainedPart(model);
            return new Part(gradient, new float[(int) gradient.length()]);
        }
    }
    /** False while this worker replays a minibatch only to take part in the others' step. */
    boolean contributes = true;

    AllReducedGradients(StageAllReduce allReduce) {
        this.allReduce = allReduce;
    }

    @Override
    public void onGradientCalculation(Model model) {
        Part part = trained.computeIfAbsent(model, Part::of);
        FloatArrays.read(part.gradient(), part.buffer(), 0);
        StageAllReduce.Sum total = allReduce.sum(contributes ? part.buffer() : null, StageAllReduce.Finish.MEAN);
        if (total.count() == 0) throw new IllegalStateException("gradient all-reduce: no worker contributed a gradient");
        FloatArrays.write(total.values(), 0, part.gradient());
    }

    /**
     * The gradient of the layers that learn: G's graph ends in frozen copies of D's layers, whose gradient is zero and
     * takes up the end of the flat gradient; the rest of it is all that needs summing.
     */
    static INDArray trainedPart(Model model) {
        INDArray gradient = model.getGradientsViewArray();
        if (!(model instanceof ComputationGraph graph) || gradient.rank() != 2 || gradient.rows() != 1) return gradient;
        long firstFrozen = gradient.length(), trainedEnd = 0;
        for (Layer layer : graph.getLayers()) {
            INDArray own = layer.getGradientsViewArray();
            if (own == null || own.isEmpty()) continue;
            long start = own.offset() - gradient.offset(), end = start + own.length();
            if (layer instanceof FrozenLayerWithBackprop) firstFrozen = Math.min(firstFrozen, start);
            else trainedEnd = Math.max(trainedEnd, end);
        }
        if (firstFrozen == gradient.length() || trainedEnd > firstFrozen) return gradient;
        return gradient.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, firstFrozen));
    }
}
