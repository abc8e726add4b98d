package latentdigits.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The two terms of the negative ELBO, per image (nats): Bernoulli cross entropy summed over pixels, and KL to N(0, I). */
public final class VaeLossTerms {
    /** The training objective's clipping (BernoulliLogitLoss, as DL4J's LossBinaryXENT), so evaluation matches it. */
    public static final double CLIP = 1e-5;

    private VaeLossTerms() {
    }

    /** [B] vector of -sum_j x_j log p_j + (1 - x_j) log(1 - p_j). */
    public static INDArray xentPerImage(INDArray images, INDArray probabilities) {
        INDArray p = Transforms.max(Transforms.min(probabilities, 1 - CLIP, true), CLIP, false);
        INDArray logP = Transforms.log(p, true);
        INDArray log1mP = Transforms.log(p.rsub(1), false);
        INDArray ll = images.mul(logP).addi(images.rsub(1).muli(log1mP));
        return ll.sum(1).negi();
    }

    /** [B] vector of 1/2 sum_j (mu_j^2 + e^logvar_j - 1 - logvar_j). */
    public static INDArray klPerImage(INDArray moments) {
        long k = moments.size(1) / 2;
        INDArray mu = moments.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k));
        INDArray logvar = moments.get(NDArrayIndex.all(), NDArrayIndex.interval(k, 2 * k));
        INDArray terms = mu.mul(mu).addi(Transforms.exp(logvar, true)).subi(1).subi(logvar);
        return terms.sum(1).muli(0.5);
    }
}
