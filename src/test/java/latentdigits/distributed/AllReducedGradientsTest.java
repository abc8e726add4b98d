package latentdigits.distributed;

import latentdigits.model.GanNetworks;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two workers averaging gradients inside fit() train exactly like one network fitting both minibatches at once. */
class AllReducedGradientsTest {
    private static final GanNetworks.Spec SPEC = new GanNetworks.Spec(4, 6, 10, 1e-2, 0.5, 21);

    @Test
    void twoWorkersMatchOneTrainerOnTheCombinedMinibatches() throws Exception {
        Nd4j.getRandom().setSeed(5);
        INDArray[] x = new INDArray[2], y = new INDArray[2];
        for (int w = 0; w < 2; w++) {
            x[w] = Nd4j.rand(DataType.FLOAT, 3, 10);
            y[w] = Nd4j.rand(DataType.FLOAT, 3, 1);
        }
        ComputationGraph single = GanNetworks.discriminator(SPEC);
        for (int step = 0; step < 3; step++)
            single.fit(new MultiDataSet(Nd4j.vstack(x[0], x[1]), Nd4j.vstack(y[0], y[1])));

        StageAllReduce.LocalSum local = new StageAllReduce.LocalSum(2, 60_000);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?>[] runs = new Future<?>[2];
            ComputationGraph[] workers = {GanNetworks.discriminator(SPEC), GanNetworks.discriminator(SPEC)};
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
            assertTrue(!workers[0].params().equalsWithEps(GanNetworks.discriminator(SPEC).params(), 1e-4), "training moved the parameters");
        } finally {
            pool.shutdownNow();
        }
    }
}
