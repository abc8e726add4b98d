package latentdigits.distributed;

import latentdigits.model.GaussianSampleVertexAccess;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeNetworks;
import latentdigits.testing.TestSpark;
import latentdigits.util.FloatArrays;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The averaging rounds of a training stage, checked against the same steps computed by hand (Spark local[2]). */
class ParameterAveragingTest {

    @Test
    void floatArraysRoundTrip() {
        float[] values = {0f, -1.5f, Float.MAX_VALUE, 3.25e-7f};
        assertArrayEquals(values, FloatArrays.fromBytes(FloatArrays.toBytes(values)));
        INDArray row = FloatArrays.row(values);
        assertArrayEquals(new long[]{1, 4}, row.shape());
        assertArrayEquals(values, FloatArrays.floats(row));
    }

    /**
     * One averaging round (4 minibatches, 2 workers x F = 2) with the sampling noise fixed so workers are
     * deterministic: with eta = 2 the parameters move exactly twice as far from the start as with eta = 1.
     */
    @Test
    void theOuterStepScalesTheAveragedChange() {
        List<MultiDataSet> batches = randomBatches(4);
        INDArray start = graph().params().dup();
        withFixedNoise(() -> {
            ComputationGraph plain = fit(batches, new AveragingSettings(2, 1.0), 2);
            ComputationGraph doubled = fit(batches, new AveragingSettings(2, 2.0), 2);
            assertEquals(2, plain.getConfiguration().getIterationCount());
            INDArray plainStep = plain.params().sub(start), doubledStep = doubled.params().sub(start);
            assertTrue(plainStep.norm2Number().doubleValue() > 1e-4, "training must move the parameters");
            assertTrue(doubledStep.equalsWithEps(plainStep.mul(2), 1e-5), "eta = 2 must double the averaged change");
        });
    }

    /**
     * The parameters take the averaged step every round, but each worker's Adam moments follow its own minibatches,
     * and the epoch ends with their mean.
     */
    @Test
    void adamMomentsAreEachWorkersOwnAveragedWhenTheEpochEnds() {
        List<MultiDataSet> batches = randomBatches(4); // partition 0 holds batches 0 and 1, partition 1 batches 2 and 3
        double eta = 2.0;
        withFixedNoise(() -> {
            ComputationGraph spark = fit(batches, new AveragingSettings(1, eta), 2);
            ComputationGraph first = graph(), second = graph();
            INDArray before = first.params().dup();
            for (int round = 0; round < 2; round++) {
                first.fit(batches.get(round));
                second.fit(batches.get(2 + round));
                INDArray next = first.params().add(second.params()).divi(2).subi(before).muli(eta).addi(before);
                first.params().assign(next);
                second.params().assign(next);
                before = next;
            }
            INDArray meanState = first.getUpdater().getStateViewArray().add(second.getUpdater().getStateViewArray()).divi(2);
            assertTrue(spark.params().equalsWithEps(first.params(), 1e-5), "parameters: the averaged step every round");
            assertTrue(spark.getUpdater().getStateViewArray().equalsWithEps(meanState, 1e-5), "Adam state: the mean of the workers' own");
            assertEquals(2, spark.getConfiguration().getIterationCount());
        });
    }

    /** One worker averaging after every minibatch is plain sequential training, step for step. */
    @Test
    void oneWorkerTrainsExactlyLikeOneJvm() {
        List<MultiDataSet> batches = randomBatches(3);
        withFixedNoise(() -> {
            ComputationGraph spark = fit(batches, new AveragingSettings(1, 1.0), 1);
            ComputationGraph local = graph();
            for (MultiDataSet b : batches) local.fit(b);
            assertEquals(3, spark.getConfiguration().getIterationCount());
            assertTrue(spark.params().equalsWithEps(local.params(), 1e-6), "same parameters as sequential fit()");
        });
    }

    /**
     * A later stage of the same run starts from the network the driver holds, Adam's state and step count included
     * (the workers reuse their cached network and load the driver's state into it): two stages of three minibatches
     * are six sequential steps.
     */
    @Test
    void aLaterStageContinuesFromTheDriversNetworkAndStepCount() {
        List<MultiDataSet> batches = randomBatches(3);
        withFixedNoise(() -> {
            ComputationGraph driver = graph();
            ParameterAveraging engine = new ParameterAveraging(jsc(), 1, new AveragingSettings(1, 1.0), 1);
            JavaRDD<MultiDataSet> rdd = jsc().parallelize(batches, 1);
            engine.fitOnce(driver, rdd);
            engine.fitOnce(driver, rdd);
            ComputationGraph local = graph();
            for (int pass = 0; pass < 2; pass++) for (MultiDataSet b : batches) local.fit(b);
            assertEquals(6, driver.getConfiguration().getIterationCount());
            assertTrue(driver.params().equalsWithEps(local.params(), 1e-6), "same parameters as six sequential steps");
            assertTrue(driver.getUpdater().getStateViewArray().equalsWithEps(local.getUpdater().getStateViewArray(), 1e-6), "same Adam state");
        });
    }

    /** Partitions with different numbers of minibatches: the shorter one keeps joining rounds until all are done. */
    @Test
    void workersWithUnevenPartitionsFinishTogether() {
        ComputationGraph graph = fit(randomBatches(5), new AveragingSettings(1, 2.0), 2); // 2 and 3 minibatches
        assertEquals(3, graph.getConfiguration().getIterationCount());
        assertFalse(graph.params().isNaN().any(), "parameters stay finite");
    }

    /** Runs with the sampling noise fixed at 0.3, so workers are deterministic. */
    private static void withFixedNoise(Runnable check) {
        GaussianSampleVertexAccess.fixNoise(n -> Nd4j.ones(DataType.FLOAT, n).muli(0.3));
        try {
            check.run();
        } finally {
            GaussianSampleVertexAccess.fixNoise(null);
        }
    }

    private static JavaSparkContext jsc() {
        return JavaSparkContext.fromSparkContext(TestSpark.local2().sparkContext());
    }

    private static ComputationGraph graph() {
        return VaeNetworks.full(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 5, DataType.FLOAT));
    }

    /** One stage of one epoch on {@code batches}, split in order over {@code workers} partitions. */
    private static ComputationGraph fit(List<MultiDataSet> batches, AveragingSettings averaging, int workers) {
        ComputationGraph graph = graph();
        new ParameterAveraging(jsc(), workers, averaging, 1).fitOnce(graph, jsc().parallelize(batches, workers));
        return graph;
    }

    private static List<MultiDataSet> randomBatches(int n) {
        List<MultiDataSet> batches = new ArrayList<>();
        Nd4j.getRandom().setSeed(3);
        for (int i = 0; i < n; i++) {
            INDArray x = Nd4j.rand(DataType.FLOAT, 20, 784);
            batches.add(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{x}, new INDArray[]{x, Nd4j.zeros(DataType.FLOAT, 20, 4)}));
        }
        return batches;
    }
}
