package latentdigits.model;

import latentdigits.data.DigitBlock;
import latentdigits.testing.TestData;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VaeModelTest {
    @Test
    void configurationSurvivesAJsonRoundTrip() {
        ComputationGraph graph = VaeNetworks.full(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 1, DataType.FLOAT));
        String json = graph.getConfiguration().toJson();
        assertTrue(json.contains("GaussianSampleVertex") && json.contains("KlToStandardNormal"), json.substring(0, 200));
        assertEquals(graph.getConfiguration(), ComputationGraphConfiguration.fromJson(json));
    }

    @Test
    void savedModelRestoresTheSameMeansAndAdamState() throws Exception {
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 2, DataType.FLOAT));
        DigitBlock digits = TestData.randomDigits(200, 4);
        for (int i = 0; i < 3; i++) vae.graph().fit(VaeModel.trainingBatch(digits, 0, 200, 2));
        byte[] zip = vae.toBytes(Map.of("note", "test"));
        VaeModel restored = VaeModel.fromLoaded(ModelFiles.fromBytes(zip, "test.zip"), "test.zip");
        INDArray x = VaeModel.images(digits, 0, 50);
        assertEquals(vae.encoder().outputSingle(false, x), restored.encoder().outputSingle(false, x));
        assertEquals(vae.graph().getUpdater().getStateViewArray(), restored.graph().getUpdater().getStateViewArray());
        assertEquals("mlp", restored.spec().architecture().name());
        assertEquals(2, restored.latent());
    }

    @Test
    void encoderAndDecoderSnapshotsMatchTheFullGraph() {
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 3, DataType.FLOAT));
        INDArray x = VaeModel.images(TestData.randomDigits(20, 5), 0, 20);
        INDArray momentsFull = vae.graph().feedForward(x, false).get(VaeArchitecture.MOMENTS);
        assertEquals(momentsFull, vae.encoder().outputSingle(false, x));
        INDArray z = Nd4j.randn(DataType.FLOAT, 20, 2);
        INDArray probabilities = vae.decode(z);
        assertArrayEquals(new long[]{20, 784}, probabilities.shape());
        assertTrue(probabilities.minNumber().doubleValue() >= 0 && probabilities.maxNumber().doubleValue() <= 1);
    }

    @Test
    void lossSumsAreTheTrainingScore() {
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 6, DataType.FLOAT));
        DigitBlock digits = TestData.randomDigits(300, 6);
        VaeModel.LossSums sums = vae.lossSums(digits, 100);
        assertEquals(300, sums.n);
        double score = vae.graph().score(VaeModel.trainingBatch(digits, 0, 300, 2), false);
        // one fresh z per image in each: the two estimates differ only by sampling noise of the reconstruction term
        assertEquals(score, sums.meanXent() + sums.meanKl(), 0.02 * score);
    }
}
