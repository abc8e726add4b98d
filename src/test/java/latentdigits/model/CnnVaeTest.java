package latentdigits.model;

import latentdigits.model.VaeModel;
import latentdigits.testing.TestData;
import latentdigits.data.DigitBlock;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CnnVaeTest {
    private static VaeModel cnn(long seed) {
        return VaeModel.create(new VaeNetworks.Spec(new CnnVae(), 2, 1e-3, seed, DataType.FLOAT));
    }

    @Test
    void theDecoderLandsExactlyOn28By28() {
        VaeModel vae = cnn(1);
        ComputationGraph decoder = vae.decoder();
        INDArray z = Nd4j.randn(DataType.FLOAT, 3, 2);
        INDArray logits = decoder.feedForward(z, false).get(VaeArchitecture.LOGITS);
        assertArrayEquals(new long[]{3, 1, 28, 28}, logits.shape());
        assertArrayEquals(new long[]{3, 784}, vae.decode(z).shape());
    }

    @Test
    void theEncoderHalvesTheSideTwiceThenReadsTheMomentsFromTheWhole7By7Map() {
        VaeModel vae = cnn(2);
        INDArray x = VaeModel.images(TestData.randomDigits(5, 3), 0, 5);
        Map<String, INDArray> acts = vae.graph().feedForward(x, false);
        assertArrayEquals(new long[]{5, 8, 14, 14}, acts.get("enc_conv1").shape());
        assertArrayEquals(new long[]{5, 16, 7, 7}, acts.get("enc_conv2").shape());
        // a kernel-7 convolution of the 7x7 map: every hidden unit sees all 7 * 7 * 16 values
        ComputationGraph graph = vae.graph();
        assertArrayEquals(new long[]{7 * 7 * 16, CnnVae.HIDDEN}, graph.getLayer("enc_hidden").getParam("W").shape());
        assertArrayEquals(new long[]{5, CnnVae.HIDDEN}, acts.get("enc_hidden").shape());
        assertArrayEquals(new long[]{5, CnnVae.HIDDEN}, acts.get("enc_hidden2").shape());
        assertArrayEquals(new long[]{5, 4}, acts.get(VaeArchitecture.MOMENTS).shape());
    }

    @Test
    void aSavedCnnModelEncodesToTheSameMeans() throws Exception {
        VaeModel vae = cnn(4);
        DigitBlock digits = TestData.randomDigits(100, 5);
        for (int i = 0; i < 2; i++) vae.graph().fit(VaeModel.trainingBatch(digits, 0, 100, 2)); // moves batch-norm statistics too
        VaeModel restored = VaeModel.fromLoaded(ModelFiles.fromBytes(vae.toBytes(Map.of()), "cnn.zip"), "cnn.zip");
        assertEquals("cnn", restored.spec().architecture().name());
        INDArray x = VaeModel.images(digits, 0, 30);
        assertEquals(vae.encoder().outputSingle(false, x), restored.encoder().outputSingle(false, x));
        assertEquals(vae.graph().params(), restored.graph().params());
    }
}
