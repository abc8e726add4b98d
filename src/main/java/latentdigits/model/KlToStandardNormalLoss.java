package latentdigits.model;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * KL(N(mu, diag e^logvar) || N(0, I)) as a DL4J loss on an identity-activation output over (mu, logvar):
 * per image 1/2 * sum(mu^2 + e^logvar - 1 - logvar); gradient (mu, (e^logvar - 1) / 2). Labels are ignored
 * (the trainer passes zeros) because the target distribution is fixed.
 */
public class KlToStandardNormalLoss extends StatelessLoss {

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray moments = activationFn.getActivation(preOutput.dup(), true);
        return VaeLossTerms.klPerImage(moments);
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean average) {
        double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? sum / preOutput.size(0) : sum;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray moments = activationFn.getActivation(preOutput.dup(), true);
        long k = moments.size(1) / 2;
        INDArray dMoments = moments.dup();
        INDArray dLogvar = dMoments.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(k, 2 * k));
        org.nd4j.linalg.ops.transforms.Transforms.exp(dLogvar, false).subi(1).muli(0.5);
        return activationFn.backprop(preOutput.dup(), dMoments).getFirst();
    }

    @Override
    public String name() {
        return "KlToStandardNormal";
    }
}
