package latentdigits.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void xentAgreesWithTheLossTheVaeTrains() {
        Nd4j.getRandom().setSeed(7);
        INDArray logits = Nd4j.randn(DataType.DOUBLE, 4, 784).muli(2); // no probability within 1e-5 of 0 or 1, where evaluation clips
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 784);
        INDArray p = new ActivationSigmoid().getActivation(logits.dup(), false);
        double trained = new BernoulliLogitLoss().computeScore(x, logits, new ActivationSigmoid(), null, true);
        assertEquals(trained, VaeLossTerms.xentPerImage(x, p).meanNumber().doubleValue(), 1e-6 * Math.abs(trained));
    }

    @Test
    void bernoulliLogitLossHasDl4jsBinaryXentScoreAndItsGradientAwayFromTheClip() {
        // logits in [-24, 24]: about half the entries lie beyond the clip at |z| = 11.51
        Nd4j.getRandom().setSeed(8);
        INDArray logits = Nd4j.rand(DataType.DOUBLE, 5, 30).subi(0.5).muli(48);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 5, 30);
        BernoulliLogitLoss loss = new BernoulliLogitLoss();
        LossBinaryXENT dl4j = new LossBinaryXENT();
        assertEquals(dl4j.computeScore(x, logits, new ActivationSigmoid(), null, true),
                loss.computeScore(x, logits, new ActivationSigmoid(), null, true), 1e-9);
        // DL4J's dense layers hand the loss column-major logits
        assertEquals(dl4j.computeScore(x, logits, new ActivationSigmoid(), null, true),
                loss.computeScore(x, logits.dup('f'), new ActivationSigmoid(), null, true), 1e-9);
        assertTrue(dl4j.computeScoreArray(x, logits, new ActivationSigmoid(), null)
                .equalsWithEps(loss.computeScoreArray(x, logits, new ActivationSigmoid(), null), 1e-9), "per-image scores");
        INDArray ours = loss.computeGradient(x, logits, new ActivationSigmoid(), null);
        INDArray theirs = dl4j.computeGradient(x, logits.dup(), new ActivationSigmoid(), null);
        int clipped = 0;
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 30; j++) {
                double z = logits.getDouble(i, j);
                if (Math.abs(z) < BernoulliLogitLoss.MAX_LOGIT) {
                    assertEquals(theirs.getDouble(i, j), ours.getDouble(i, j), 1e-9, "gradient at z = " + z);
                } else {
                    clipped++;
                    assertEquals(0.0, ours.getDouble(i, j), 0.0, "gradient where the clip holds, z = " + z);
                }
            }
        }
        assertTrue(clipped > 30 && clipped < 120, "clipped entries: " + clipped);
    }

    @Test
    void bernoulliLogitLossRefusesAnotherActivationOrAMask() {
        INDArray z = Nd4j.zeros(DataType.FLOAT, 2, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new BernoulliLogitLoss().computeScore(z, z, new ActivationIdentity(), null, true));
        assertTrue(e.getMessage().contains("expected a sigmoid"), e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> new BernoulliLogitLoss().computeGradient(z, z, new ActivationSigmoid(), Nd4j.ones(DataType.FLOAT, 2, 3)));
        assertTrue(e.getMessage().contains("expected no label mask"), e.getMessage());
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
