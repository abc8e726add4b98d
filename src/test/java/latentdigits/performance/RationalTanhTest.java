package latentdigits.performance;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RationalTanh} against tanh; its gradient check is {@code BlasDenseLayerTest.gradientsMatchFiniteDifferences}. */
class RationalTanhTest {

    @Test
    void floatsUpToTenAreWithinSixUlpOfTanhAndInsideMinusOneOne() {
        double worst = 0, sum = 0;
        long n = 0;
        for (int bits = Float.floatToIntBits(1e-6f); bits < Float.floatToIntBits(10f); bits += 61) { // every 61st float: 3.2 million of them, each with its negative
            float x = Float.intBitsToFloat(bits);
            for (float s : new float[]{x, -x}) {
                double exact = Math.tanh(s);
                float y = RationalTanh.tanh(s);
                double ulps = Math.abs(y - exact) / Math.ulp((float) Math.abs(exact));
                worst = Math.max(worst, ulps);
                sum += ulps;
                n++;
                assertTrue(y >= -1f && y <= 1f, "tanh(" + s + ") = " + y + " is outside [-1, 1]");
                assertEquals(-y, RationalTanh.tanh(-s), 0f, "odd at " + s);
            }
        }
        assertTrue(worst <= 6.5, "worst error " + worst + " ulp, expected at most 6.5");
        assertTrue(sum / n < 0.5, "mean error " + sum / n + " ulp, expected below 0.5");
    }

    @Test
    void smallInputsAreThemselvesAndLargeOnesSaturate() {
        assertEquals(1e-30f, RationalTanh.tanh(1e-30f), 0f);
        assertEquals(Float.MIN_VALUE, RationalTanh.tanh(Float.MIN_VALUE), 0f);
        assertEquals(0f, RationalTanh.tanh(0f), 0f);
        assertEquals(1f, RationalTanh.tanh(9.2f), 0f);
        assertEquals(-1f, RationalTanh.tanh(Float.NEGATIVE_INFINITY), 0f);
        assertEquals(1f, RationalTanh.tanh(Float.POSITIVE_INFINITY), 0f);
        assertTrue(Float.isNaN(RationalTanh.tanh(Float.NaN)));
        assertEquals(Math.tanh(0.5), RationalTanh.tanh(0.5), 1e-9, "the double version");
    }

    @Test
    void theActivationComputesTheSameOnWholeArraysAndViews() {
        Nd4j.getRandom().setSeed(3);
        INDArray z = Nd4j.randn(DataType.FLOAT, 6, 9).muli(4);
        float[] expected = z.dup('c').data().asFloat();
        RationalTanh.tanhInPlace(expected, expected.length);
        INDArray whole = new RationalTanh().getActivation(z.dup('c'), true);
        assertArrayEquals(expected, whole.data().asFloat());
        INDArray wide = Nd4j.zeros(DataType.FLOAT, 6, 12);
        INDArray view = wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 11)).assign(z);
        new RationalTanh().getActivation(view, true);
        assertArrayEquals(expected, view.dup('c').data().asFloat(), "a strided view");
        assertEquals(0f, wide.getFloat(0, 0), 0f, "outside the view untouched");
    }

    @Test
    void backpropIsEpsilonTimesOneMinusTanhSquared() {
        Nd4j.getRandom().setSeed(4);
        INDArray z = Nd4j.randn(DataType.FLOAT, 5, 4), epsilon = Nd4j.randn(DataType.FLOAT, 5, 4);
        INDArray dz = new RationalTanh().backprop(z.dup(), epsilon).getFirst();
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 4; j++) {
                float y = RationalTanh.tanh(z.getFloat(i, j));
                assertEquals(epsilon.getFloat(i, j) * (1f - y * y), dz.getFloat(i, j), 1e-6f);
            }
    }

    @Test
    void theGeneratorWithItSurvivesJson() {
        GanModel gan = GanModel.create(GanNetworks.Spec.study(1e-3, 0.5, 1));
        ComputationGraphConfiguration conf = gan.generator().getConfiguration();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertInstanceOf(RationalTanh.class, ((org.deeplearning4j.nn.conf.layers.BaseLayer)
                ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get(GanNetworks.GENERATED)).getLayerConf().getLayer()).getActivationFn());
    }
}
