package latentdigits.distributed;

import latentdigits.model.GanNetworks;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two workers averaging gradients inside fit() train exactly like one network fitting both minibatches at once. */
class AllReducedGradientsTest {
    private static final GanNetworks.Spec SPEC = new GanNetworks.Spec(4, 6, 10, 1e-2, 0.5, 21);

    /** D, and G with its frozen copy of D (only G's part of the gradient is summed; D's copy stays put). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void twoWorkersMatchOneTrainerOnTheCombinedMinibatches(boolean generator) throws Exception {
        Supplier<ComputationGraph> network = () -> generator ? GanNetworks.generatorWithFrozenDiscriminator(SPEC) : GanNetworks.discriminator(SPEC);
        Nd4j.getRandom().setSeed(5);
        INDArray[] x = new INDArray[2], y = new INDArray[2];
        for (int w = 0; w < 2; w++) {
            x[w] = Nd4j.rand(DataType.FLOAT, 3, generator ? SPEC.latent() : SPEC.pixels());
            y[w] = Nd4j.rand(DataType.FLOAT, 3, 1);
        }
        ComputationGraph single = network.get();
        for (int step = 0; step < 3; step++)
            single.fit(new MultiDataSet(Nd4j.vstack(x[0], x[1]), Nd4j.vstack(y[0], y[1])));

        StageAllReduce.LocalSum local = new StageAllReduce.LocalSum(2, 60_000);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?>[] runs = new Future<?>[2];
            ComputationGraph[] workers = {network.get(), network.get()};
            INDArray frozenBefore = generator ? workers[0].getLayer("d1").params().dup() : null;
            for (int w = 0; w < 2; w++) {
                int rank = w;
                runs[w] = pool.submit(() -> {
                    workers[rank].setListeners(new AllReducedGradients(StageAllReduce.inThisJvm(local, rank)));
                    for (int step = 0; step < 3; step++) workers[rank].fit(new MultiDataSet(x[rank], y[rank]));
                    return null;
                });
            }
            for (Future<?> run : runs) run.get(60, TimeUnit.SECONDS);
            assertEquals(workers[0].params(), workers[1].params(), "workers stay identical");
            assertTrue(workers[0].params().equalsWithEps(single.params(), 1e-5), "same as one trainer on both minibatches");
            assertTrue(!workers[0].params().equalsWithEps(network.get().params(), 1e-4), "training moved the parameters");
            if (generator) assertEquals(frozenBefore, workers[0].getLayer("d1").params(), "G's copy of D stays put");
        } finally {
            pool.shutdownNow();
        }
    }

    /** G's flat gradient ends in its frozen copy of D; the part summed is G's own, a view that writes through. */
    @Test
    void theTrainedPartOfGsGradientIsGsLayersAndAView() {
        ComputationGraph g = GanNetworks.generatorWithFrozenDiscriminator(SPEC);
        g.initGradientsView(); // made by the first fit, before any gradient reaches the listener
        long own = 0;
        for (String layer : new String[]{"g1", "g2", GanNetworks.GENERATED}) own += g.getLayer(layer).numParams();
        INDArray part = AllReducedGradients.trainedPart(g);
        assertEquals(own, part.length());
        part.assign(3);
        assertEquals(3 * own, g.getGradientsViewArray().sumNumber().doubleValue(), 1e-3, "writes reach the gradient, and only G's part");
        ComputationGraph d = GanNetworks.discriminator(SPEC);
        d.initGradientsView();
        assertEquals(d.getGradientsViewArray().length(), AllReducedGradients.trainedPart(d).length(), "D learns every parameter");
    }
}
