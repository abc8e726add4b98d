package latentdigits.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VaeLossTermsTest {

    @Test
    void klMatchesHandComputedValues() {
        // image 1: mu = (1, -2), logvar = (0, ln 4): 1/2 [(1 + 1 - 1 - 0) + (4 + 4 - 1 - ln 4)] = 1/2 (8 - ln 4)
        // image 2: mu = 0, logvar = 0: exactly the prior, KL 0
        INDArray moments = Nd4j.create(new double[][]{{1, -2, 0, Math.log(4)}, {0, 0, 0, 0}});
        INDArray kl = VaeLossTerms.klPerImage(moments);
        assertEquals(0.5 * (8 - Math.log(4)), kl.getDouble(0), 1e-9);
        assertEquals(0.0, kl.getDouble(1), 1e-12);
    }

    @Test
    void xentMatchesHandComputedValues() {
        // x = (1, 0, 1), p = (0.9, 0.2, 0.5): -(ln 0.9 + ln 0.8 + ln 0.5)
        INDArray x = Nd4j.create(new double[][]{{1, 0, 1}});
        INDArray p = Nd4j.create(new double[][]{{0.9, 0.2, 0.5}});
        assertEquals(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.5)), VaeLossTerms.xentPerImage(x, p).getDouble(0), 1e-9);
    }

    @Test
    void xentAgreesWithTheLossDl4jTrains() {
        Nd4j.getRandom().setSeed(7);
        INDArray logits = Nd4j.randn(DataType.DOUBLE, 4, 784).muli(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 784);
        INDArray p = new ActivationSigmoid().getActivation(logits.dup(), false);
        double dl4j = new LossBinaryXENT().computeScore(x, logits, new ActivationSigmoid(), null, true);
        assertEquals(dl4j, VaeLossTerms.xentPerImage(x, p).meanNumber().doubleValue(), 1e-6 * Math.abs(dl4j));
    }

    @Test
    void klLossScoreIsTheBatchMeanAndItsGradientIsAnalytic() {
        KlToStandardNormalLoss loss = new KlToStandardNormalLoss();
        INDArray moments = Nd4j.create(new double[][]{{0.5, -1, 0.3, -0.7}, {2, 0, -1, 0.2}});
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 2, 4);
        double expected = VaeLossTerms.klPerImage(moments).sumNumber().doubleValue() / 2;
        assertEquals(expected, loss.computeScore(labels, moments, new ActivationIdentity(), null, true), 1e-12);
        INDArray grad = loss.computeGradient(labels, moments, new ActivationIdentity(), null);
        double h = 1e-6;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                INDArray plus = moments.dup(), minus = moments.dup();
                plus.putScalar(i, j, plus.getDouble(i, j) + h);
                minus.putScalar(i, j, minus.getDouble(i, j) - h);
                double numeric = (loss.computeScore(labels, plus, new ActivationIdentity(), null, false)
                        - loss.computeScore(labels, minus, new ActivationIdentity(), null, false)) / (2 * h);
                assertEquals(numeric, grad.getDouble(i, j), 1e-6, "d KL / d moments[" + i + "," + j + "]");
            }
        }
        // mu -> mu, logvar -> (e^logvar - 1) / 2
        assertEquals(0.5, grad.getDouble(0, 0), 1e-12);
        assertEquals(0.5 * (Math.exp(0.3) - 1), grad.getDouble(0, 2), 1e-12);
    }
}
