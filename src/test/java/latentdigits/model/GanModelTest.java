package latentdigits.model;

import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import latentdigits.performance.RationalTanh;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GanModelTest {
    private static GanModel study(long seed) {
        return GanModel.create(GanNetworks.Spec.study(1e-3, 0.5, seed));
    }

    @Test
    void generatorAndDiscriminatorHaveTheStudysShapesAndActivations() {
        GanModel gan = study(1);
        INDArray z = gan.randomLatent(7);
        assertArrayEquals(new long[]{7, 150}, z.shape());
        Map<String, INDArray> g = gan.generator().feedForward(new INDArray[]{z}, false, false);
        assertArrayEquals(new long[]{7, 50}, g.get("g1").shape());
        assertArrayEquals(new long[]{7, 50}, g.get("g2").shape());
        INDArray images = g.get(GanNetworks.GENERATED);
        assertArrayEquals(new long[]{7, 784}, images.shape());
        assertTrue(images.minNumber().doubleValue() >= -1 && images.maxNumber().doubleValue() <= 1, "tanh range");
        assertInstanceOf(ActivationLReLU.class, activation(gan.generator(), "g1"));
        assertInstanceOf(ActivationLReLU.class, activation(gan.generator(), "g2"));
        for (String layer : new String[]{"g1", "g2", "d1", "d2"})
            assertEquals(GanNetworks.DEFAULT_LEAKY_SLOPE, ((ActivationLReLU) activation(layer.startsWith("g") ? gan.generator()
                    : gan.discriminator(), layer)).getAlpha(), 0, layer);
        assertInstanceOf(RationalTanh.class, activation(gan.generator(), GanNetworks.GENERATED));

        Map<String, INDArray> d = gan.discriminator().feedForward(new INDArray[]{images}, false, false);
        assertArrayEquals(new long[]{7, 50}, d.get("d1").shape());
        assertArrayEquals(new long[]{7, 50}, d.get("d2").shape());
        INDArray verdict = d.get("d_out");
        assertArrayEquals(new long[]{7, 1}, verdict.shape());
        assertTrue(verdict.minNumber().doubleValue() > 0 && verdict.maxNumber().doubleValue() < 1, "sigmoid range");
        assertInstanceOf(ActivationSigmoid.class, activation(gan.discriminator(), "d_out"));
        assertEquals(150 * 50 + 50 + 50 * 50 + 50 + 50 * 784 + 784, gan.generator().numParams() - gan.discriminator().numParams());
    }

    private static Object activation(ComputationGraph graph, String layer) {
        return ((BaseLayer) graph.getLayer(layer).conf().getLayer()).getActivationFn();
    }

    @Test
    void aGeneratorStepLeavesTheDiscriminatorBitIdentical() {
        GanModel gan = study(2);
        INDArray dBefore = gan.discriminator().params().dup();
        INDArray frozenBefore = discriminatorCopy(gan).dup();
        INDArray gBefore = gan.generator().getLayer("g1").params().dup();
        for (int i = 0; i < 3; i++)
            gan.generator().fit(new MultiDataSet(gan.randomLatent(20), Nd4j.ones(DataType.FLOAT, 20, 1)));
        assertEquals(dBefore, gan.discriminator().params(), "D itself untouched");
        assertEquals(frozenBefore, discriminatorCopy(gan), "D's frozen copy inside G + D untouched");
        assertFalse(gBefore.equalsWithEps(gan.generator().getLayer("g1").params(), 1e-7), "G moved");
        assertEquals(dBefore, discriminatorCopy(gan), "the frozen copy equals D");
    }

    private static INDArray discriminatorCopy(GanModel gan) {
        return Nd4j.hstack(gan.generator().getLayer("d1").params(), gan.generator().getLayer("d2").params(),
                gan.generator().getLayer("d_out").params());
    }

    @Test
    void aSavedGanLoadsWithTheSameGeneratorAndDiscriminator() throws Exception {
        GanModel gan = study(3);
        gan.discriminator().fit(new MultiDataSet(Nd4j.rand(DataType.FLOAT, 10, 784), Nd4j.ones(DataType.FLOAT, 10, 1)));
        GanNetworks.copyDiscriminator(gan.discriminator(), gan.generator());
        GanModel loaded = GanModel.fromLoaded(ModelFiles.fromBytes(gan.toBytes(Map.of()), "gan.zip"), "gan.zip");
        INDArray z = gan.randomLatent(4);
        assertEquals(gan.generate(z), loaded.generate(z));
        assertEquals(gan.discriminator().params(), loaded.discriminator().params());
        assertEquals(gan.spec(), loaded.spec());
    }

    @Test
    void aGanFileIsNotTakenForAVaeOrAClassifier() throws Exception {
        ModelFiles.Loaded loaded = ModelFiles.fromBytes(study(5).toBytes(Map.of()), "gan.zip");
        latentdigits.util.UserError e = org.junit.jupiter.api.Assertions.assertThrows(latentdigits.util.UserError.class,
                () -> VaeModel.fromLoaded(loaded, "gan.zip"));
        assertEquals("gan.zip: expected a VAE model (kind \"vae\"), found kind \"gan\"", e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(latentdigits.util.UserError.class, () -> DigitClassifier.fromLoaded(loaded, "gan.zip"));
    }
}
