package latentdigits.train;

import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Handing a GAN to another worker (parameters, Adam state, step counts) must not change how it trains on. */
class NetworkStateTest {
    private static final GanNetworks.Spec SPEC = new GanNetworks.Spec(5, 8, 12, 1e-2, 0.5, 41);

    @Test
    void aGanMovedToAFreshWorkerTrainsOnExactlyAsBefore() throws Exception {
        GanModel original = GanModel.create(SPEC);
        Nd4j.getRandom().setSeed(1);
        INDArray real = Nd4j.rand(DataType.FLOAT, 6, 12).muli(2).subi(1);
        GanSteps steps = new GanSteps(original, new GanSteps.LabelNoise(0.1, 0.1));
        for (int i = 0; i < 3; i++) steps.step(real);

        GanModel moved = GanModel.create(new GanNetworks.Spec(5, 8, 12, 1e-2, 0.5, 99)); // other initial values
        NetworkState.applyAll(NetworkState.ofAll(original.generator(), original.discriminator()), moved.generator(), moved.discriminator());
        assertEquals(original.generator().params(), moved.generator().params());
        assertEquals(original.generator().getUpdater().getStateViewArray(), moved.generator().getUpdater().getStateViewArray());
        assertEquals(original.discriminator().getUpdater().getStateViewArray(), moved.discriminator().getUpdater().getStateViewArray());

        Nd4j.getRandom().setSeed(2);
        steps.step(real);
        Nd4j.getRandom().setSeed(2);
        new GanSteps(moved, new GanSteps.LabelNoise(0.1, 0.1)).step(real);
        assertEquals(original.discriminator().params(), moved.discriminator().params(), "D's next step is the same");
        assertEquals(original.generator().params(), moved.generator().params(), "G's next step is the same");
    }
}
