package latentdigits.distributed;

import latentdigits.util.FloatArrays;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Synchronous data parallelism inside DL4J's own fit(): DL4J calls {@link #onGradientCalculation} after the
 * backward pass and before Adam turns the gradient into an update, so replacing the gradient there with its mean over
 * all workers makes every worker apply the same Adam step to the same parameters — one trainer with the workers'
 * minibatches put together, which is what a GAN needs (averaging the players' parameters after separate Adam steps
 * collapsed it; docs/experiments/gan.md).
 */
final class AllReducedGradients extends BaseTrainingListener {
    private final StageAllReduce allReduce;
    private float[] buffer;
    /** False while this worker replays a minibatch only to take part in the others' step. */
    boolean contributes = true;

    AllReducedGradients(StageAllReduce allReduce) {
        this.allReduce = allReduce;
    }

    @Override
    public void onGradientCalculation(Model model) {
        INDArray gradient = model.getGradientsViewArray();
        if (buffer == null || buffer.length != gradient.length()) buffer = new float[(int) gradient.length()];
        FloatArrays.read(gradient, buffer, 0);
        StageAllReduce.Sum total = allReduce.sum(contributes ? buffer : null, model.score(), StageAllReduce.Finish.MEAN);
        if (total.count() == 0) throw new IllegalStateException("gradient all-reduce: no worker contributed a gradient");
        FloatArrays.write(total.values(), 0, gradient);
    }
}
