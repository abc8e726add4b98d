package latentdigits.model;

import latentdigits.util.FloatArrays;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SoftPlus;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Bernoulli cross entropy DL4J's LossBinaryXENT computes on a sigmoid output, probabilities clipped to
 * [1e-5, 1 - 1e-5], computed from the logits z instead: clipping p is clipping z to +-L (L = ln((1 - 1e-5) / 1e-5)),
 * so per image the loss is sum_j softplus(zc_j) - x_j zc_j with zc = clip(z, -L, L), and its gradient is
 * sigmoid(zc) - x where |z| < L and 0 where the clip holds. LossBinaryXENT takes the detour through p: 19 passes over
 * the [B, 784] output a minibatch (three of them copies; the sigmoid three times, the log twice), dividing by p (1 - p)
 * and multiplying by the sigmoid's derivative again, where this needs 13 passes, two of them transcendental, no copies.
 * The values are the same; the gradients differ only where the clip holds (there LossBinaryXENT's is not exactly 0 but
 * decays like e^-(|z| - L)). Clipping matters: the exact, unclipped loss trains confidently wrong pixels hard and ended
 * the default run worse (docs/experiments/speed.md, seventh round). The layer keeps its sigmoid
 * activation, so the network's output stays the pixel probabilities.
 */
public class BernoulliLogitLoss extends StatelessLoss {
    /** The logit at which LossBinaryXENT's probability clip (and VaeLossTerms') starts. */
    static final double MAX_LOGIT = Math.log((1 - VaeLossTerms.CLIP) / VaeLossTerms.CLIP);

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        requireSigmoidWithoutMask(activationFn, mask);
        labels = FloatArrays.inOrder(labels, preOutput.ordering());
        INDArray clipped = clippedLogits(preOutput);
        INDArray terms = Nd4j.getExecutioner().exec(new SoftPlus(clipped, uninitializedLike(clipped)));
        return terms.subi(clipped.muli(labels)).sum(true, 1); // [B, 1], as DL4J's losses return it
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean average) {
        requireSigmoidWithoutMask(activationFn, mask);
        labels = FloatArrays.inOrder(labels, preOutput.ordering());
        INDArray clipped = clippedLogits(preOutput);
        INDArray softplus = Nd4j.getExecutioner().exec(new SoftPlus(clipped, uninitializedLike(clipped)));
        double sum = softplus.sumNumber().doubleValue() - Nd4j.getExecutioner().exec(new Dot(labels, clipped)).getDouble(0);
        return average ? sum / preOutput.size(0) : sum;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        requireSigmoidWithoutMask(activationFn, mask);
        labels = FloatArrays.inOrder(labels, preOutput.ordering());
        INDArray gradient = clippedLogits(preOutput);
        Nd4j.getExecutioner().exec(new Sigmoid(gradient, gradient));
        gradient.subi(labels);
        INDArray outsideClip = Nd4j.getExecutioner().exec(new Abs(preOutput, uninitializedLike(preOutput)));
        Nd4j.getExecutioner().exec(new Step(outsideClip, outsideClip, MAX_LOGIT)); // 1 where |z| > L
        return gradient.muli(outsideClip.rsubi(1));
    }

    private static INDArray clippedLogits(INDArray logits) {
        INDArray clipped = uninitializedLike(logits);
        Nd4j.getExecutioner().exec(new ScalarMin(logits, null, clipped, MAX_LOGIT));
        Nd4j.getExecutioner().exec(new ScalarMax(clipped, null, clipped, -MAX_LOGIT));
        return clipped;
    }

    private static INDArray uninitializedLike(INDArray a) {
        return Nd4j.createUninitialized(a.dataType(), a.shape(), a.ordering());
    }

    private static void requireSigmoidWithoutMask(IActivation activationFn, INDArray mask) {
        if (!(activationFn instanceof ActivationSigmoid))
            throw new IllegalStateException("BernoulliLogitLoss: expected a sigmoid output layer, found activation " + activationFn);
        if (mask != null)
            throw new IllegalStateException("BernoulliLogitLoss: expected no label mask (every pixel counts), found one of shape "
                    + java.util.Arrays.toString(mask.shape()));
    }

    @Override
    public String name() {
        return "BernoulliLogit";
    }
}
