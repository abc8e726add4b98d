package latentdigits.performance;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Java loops against ND4J's own activation code, value for value, on floats that include ±0, subnormals and NaN. */
class ElementwiseActivationsTest {

    private static INDArray values(char order) {
        return values(order, true);
    }

    /** Random floats and the special ones; without NaN, an array the leaky ReLU's derivative takes its vector loop on. */
    private static INDArray values(char order, boolean withNaN) {
        Nd4j.getRandom().setSeed(8);
        INDArray x = Nd4j.randn(DataType.FLOAT, 300, 400).dup(order);
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, withNaN ? Float.NaN : -1f, 1e-40f, -1e-40f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -Float.MAX_VALUE, Float.MAX_VALUE};
        for (int i = 0; i < special.length; i++) x.putScalar(i, 7, special[i]);
        return x;
    }

    private static IActivation activation(String name) {
        return switch (name) {
            case "relu" -> new ActivationReLU();
            case "leaky-0.01" -> new ActivationLReLU();
            case "leaky-0.2" -> new ActivationLReLU(0.2);
            default -> new ActivationSigmoid(); // not handled: ND4J's own code
        };
    }

    private static void assertSameBits(INDArray expected, INDArray actual, String what) {
        float[] e = expected.dup('c').data().asFloat(), a = actual.dup('c').data().asFloat();
        int[] eb = new int[e.length], ab = new int[a.length];
        for (int i = 0; i < e.length; i++) {
            eb[i] = Float.floatToIntBits(e[i]);
            ab[i] = Float.floatToIntBits(a[i]);
        }
        assertArrayEquals(eb, ab, what);
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "leaky-0.01", "leaky-0.2", "sigmoid"})
    void forwardIsNd4jsToTheBit(String name) {
        for (char order : new char[]{'c', 'f'}) {
            INDArray x = values(order);
            INDArray theirs = activation(name).getActivation(x.dup(order), true);
            INDArray ours = ElementwiseActivations.activate(activation(name), x.dup(order), true);
            assertSameBits(theirs, ours, name + " forward, order " + order);
            INDArray z = x.dup(order), out = Nd4j.createUninitialized(DataType.FLOAT, z.shape(), order);
            assertSameBits(theirs, ElementwiseActivations.activate(activation(name), z, out, true), name + " forward into another array, order " + order);
            assertSameBits(x, z, name + " leaves its input as it was");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "leaky-0.01", "leaky-0.2", "sigmoid"})
    void backwardIsNd4jsToTheBit(String name) {
        Nd4j.getRandom().setSeed(9);
        for (boolean withNaN : new boolean[]{true, false})
            for (char zOrder : new char[]{'c', 'f'})
                for (char eOrder : new char[]{'c', 'f'}) {
                    INDArray z = values(zOrder, withNaN), epsilon = Nd4j.randn(DataType.FLOAT, 300, 400).dup(eOrder);
                    epsilon.putScalar(3, 5, Float.NaN);
                    epsilon.putScalar(4, 5, Float.NEGATIVE_INFINITY);
                    epsilon.putScalar(5, 5, -0f);
                    INDArray theirs = activation(name).backprop(z.dup(zOrder), epsilon.dup(eOrder)).getFirst();
                    INDArray ours = ElementwiseActivations.backprop(activation(name), z.dup(zOrder), epsilon.dup(eOrder));
                    assertSameBits(theirs, ours, name + " backward, z order " + zOrder + ", epsilon order " + eOrder + (withNaN ? ", a NaN in z" : ""));
                }
    }

    @Test
    void onlyPlainRelusAndLeakyRelusAreTakenOver() {
        assertEquals(0f, ElementwiseActivations.slope(new ActivationReLU()));
        assertEquals(0.2f, ElementwiseActivations.slope(new ActivationLReLU(0.2)));
        assertEquals(Float.NaN, ElementwiseActivations.slope(new ActivationReLU(6.0, 0.0, 0.0)), "a capped ReLU stays ND4J's");
        assertEquals(Float.NaN, ElementwiseActivations.slope(new ActivationSigmoid()));
    }
}
