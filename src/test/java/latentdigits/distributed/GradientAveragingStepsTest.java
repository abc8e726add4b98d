package latentdigits.distributed;

import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import latentdigits.train.GanSteps;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The study's GAN steps on workers that average both players' gradients (what {@link GradientAveragingTask} runs). */
class GradientAveragingStepsTest {
    private static final GanNetworks.Spec SPEC = new GanNetworks.Spec(5, 8, 12, 1e-2, 0.5, 31);

    /** Two workers taking GAN steps with averaged gradients keep both players identical, and both players move. */
    @Test
    void workersWithAveragedGradientsKeepBothPlayersIdentical() throws Exception {
        StageAllReduce.LocalSum local = new StageAllReduce.LocalSum(2, 60_000);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        GanModel[] workers = {GanModel.create(SPEC), GanModel.create(SPEC)};
        GanModel initial = GanModel.create(SPEC);
        try {
            Future<?>[] runs = new Future<?>[2];
            for (int w = 0; w < 2; w++) {
                int rank = w;
                runs[w] = pool.submit(() -> {
                    Nd4j.getRandom().setSeed(100 + rank); // different data, z and label noise per worker
                    AllReducedGradients gradients = new AllReducedGradients(StageAllReduce.inThisJvm(local, rank));
                    workers[rank].discriminator().setListeners(gradients);
                    workers[rank].generator().setListeners(gradients);
                    GanSteps steps = new GanSteps(workers[rank], new GanSteps.LabelNoise(0.1, 0.1));
                    for (int i = 0; i < 4; i++) steps.step(Nd4j.rand(DataType.FLOAT, 6, 12).muli(2).subi(1));
                    return null;
                });
            }
            for (Future<?> run : runs) run.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(workers[0].discriminator().params(), workers[1].discriminator().params(), "D identical on both workers");
        assertEquals(workers[0].generator().params(), workers[1].generator().params(), "G (and D's copy) identical on both workers");
        assertFalse(workers[0].generator().getLayer("g1").params().equalsWithEps(initial.generator().getLayer("g1").params(), 1e-6), "G moved");
        assertFalse(workers[0].discriminator().params().equalsWithEps(initial.discriminator().params(), 1e-6), "D moved");
    }

    /** Tasks agree on the epoch's number of steps in one all-reduce: the most minibatches any of them has. */
    @Test
    void theEpochHasAsManyStepsAsTheLongestPartition() throws Exception {
        StageAllReduce.LocalSum local = new StageAllReduce.LocalSum(3, 60_000);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            int[] counts = {4, 7, 0};
            java.util.List<Future<Integer>> agreed = new java.util.ArrayList<>();
            for (int rank = 0; rank < 3; rank++) {
                int r = rank;
                agreed.add(pool.submit(() -> GradientAveragingTask.mostMinibatches(StageAllReduce.inThisJvm(local, r), 3, r, counts[r])));
            }
            for (Future<Integer> answer : agreed) assertEquals(7, answer.get(30, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    /** A single worker's "average" is its own gradient: with the listener it must train exactly as without. */
    @Test
    void oneWorkerWithTheListenerTrainsExactlyAsPlainSteps() {
        GanModel plain = GanModel.create(SPEC), listened = GanModel.create(SPEC);
        AllReducedGradients gradients = new AllReducedGradients(StageAllReduce.inThisJvm(new StageAllReduce.LocalSum(1, 60_000), 0));
        listened.discriminator().setListeners(gradients);
        listened.generator().setListeners(gradients);
        for (int i = 0; i < 3; i++) {
            Nd4j.getRandom().setSeed(7 + i);
            INDArray real = Nd4j.rand(DataType.FLOAT, 6, 12).muli(2).subi(1);
            Nd4j.getRandom().setSeed(70 + i);
            new GanSteps(plain, new GanSteps.LabelNoise(0.1, 0.1)).step(real);
            Nd4j.getRandom().setSeed(70 + i);
            new GanSteps(listened, new GanSteps.LabelNoise(0.1, 0.1)).step(real);
        }
        assertEquals(plain.discriminator().params(), listened.discriminator().params());
        assertEquals(plain.generator().params(), listened.generator().params());
    }
}
