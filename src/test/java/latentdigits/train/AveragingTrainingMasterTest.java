package latentdigits.train;

import latentdigits.model.MlpVae;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.testing.TestSpark;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AveragingTrainingMasterTest {

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void compactBroadcastArrivesAsAnEqualPlainTuple() throws Exception {
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 1, DataType.FLOAT));
        INDArray state = Nd4j.rand(DataType.FLOAT, 1, vae.graph().getUpdater().getStateViewArray().length());
        NetBroadcastTuple sent = new AveragingTrainingMaster.CompactBroadcastTuple(vae.graph().params(), state);
        NetBroadcastTuple received = roundTrip(sent);
        assertEquals(NetBroadcastTuple.class, received.getClass());
        assertEquals(vae.graph().params(), received.getParameters());
        assertEquals(state, received.getUpdaterState());
    }

    @Test
    void flatSumsAddAndSurviveSerialisation() throws Exception {
        AveragingTrainingMaster.FlatSum a = new AveragingTrainingMaster.FlatSum();
        a.parameters = new float[]{1, 2, 3};
        a.updaterState = new float[]{4, 5};
        a.score = 10;
        a.count = 1;
        AveragingTrainingMaster.FlatSum b = roundTrip(a);
        assertNotSame(a, b);
        assertArrayEquals(a.parameters, b.parameters);
        AveragingTrainingMaster.FlatSum sum = new AveragingTrainingMaster.FlatSum().add(a).add(b);
        assertEquals(2, sum.count);
        assertArrayEquals(new float[]{2, 4, 6}, sum.parameters);
        assertEquals(Nd4j.create(new float[]{4, 5}, new long[]{1, 2}), sum.mean(sum.updaterState, DataType.FLOAT));
        assertEquals(20.0, sum.score);
    }

    @Test
    void floatArraysRoundTrip() {
        float[] values = {0f, -1.5f, Float.MAX_VALUE, 3.25e-7f};
        assertArrayEquals(values, FloatArrays.fromBytes(FloatArrays.toBytes(values)));
        INDArray row = FloatArrays.row(values);
        assertArrayEquals(new long[]{1, 4}, row.shape());
        assertArrayEquals(values, FloatArrays.floats(row));
    }

    @Test
    void workersReuseTheirNetworkAndResumeTheDriversAdamStepCount() {
        ComputationGraph driver = VaeNetworks.full(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 5, DataType.FLOAT));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.local2().sparkContext());
        INDArray state = Nd4j.rand(DataType.FLOAT, 1, driver.getUpdater().getStateViewArray().length());
        AveragingTrainingMaster.ReusingWorker first = worker(jsc, driver, state, "run-a", 1234, 7);
        ComputationGraph net = first.getInitialModelGraph();
        assertEquals(1234, net.getConfiguration().getIterationCount());
        assertEquals(7, net.getConfiguration().getEpochCount());
        assertEquals(driver.params(), net.params());
        assertEquals(state, net.getUpdater().getStateViewArray());

        INDArray moved = driver.params().add(0.5);
        driver.setParams(moved);
        ComputationGraph again = worker(jsc, driver, state.mul(2), "run-a", 1240, 7).getInitialModelGraph();
        assertSame(net, again, "the same thread and run reuse the network");
        assertEquals(moved, again.params());
        assertEquals(state.mul(2), again.getUpdater().getStateViewArray());
        assertEquals(1240, again.getConfiguration().getIterationCount());
        assertNotSame(net, worker(jsc, driver, state, "run-b", 0, 0).getInitialModelGraph(), "another run builds its own");
    }

    private static AveragingTrainingMaster.ReusingWorker worker(JavaSparkContext jsc, ComputationGraph driver, INDArray state,
                                                                String run, int iteration, int epoch) {
        NetBroadcastTuple tuple = new NetBroadcastTuple(driver.getConfiguration(), driver.params(), state);
        return new AveragingTrainingMaster.ReusingWorker(jsc.broadcast(tuple), jsc.broadcast(driver.getConfiguration()), true,
                new org.deeplearning4j.spark.api.WorkerConfiguration(true, 20, 20, 2, 0, false), null, null, null, run, iteration, epoch);
    }

    /**
     * One averaging round (4 minibatches, 2 workers x F = 2) with the sampling noise fixed so workers are
     * deterministic: with eta = 2 the parameters move exactly twice as far from the start as with eta = 1.
     */
    @Test
    void theOuterStepScalesTheAveragedChange() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.local2().sparkContext());
        List<MultiDataSet> batches = new ArrayList<>();
        Nd4j.getRandom().setSeed(3);
        for (int i = 0; i < 4; i++) {
            INDArray x = Nd4j.rand(DataType.FLOAT, 20, 784);
            batches.add(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{x}, new INDArray[]{x, Nd4j.zeros(DataType.FLOAT, 20, 4)}));
        }
        INDArray start = graph().params().dup();
        withFixedNoise(() -> {
            ComputationGraph plain = fitOnce(jsc, batches, 1.0);
            ComputationGraph doubled = fitOnce(jsc, batches, 2.0);
            assertEquals(2, plain.getConfiguration().getIterationCount());
            INDArray plainStep = plain.params().sub(start), doubledStep = doubled.params().sub(start);
            assertTrue(plainStep.norm2Number().doubleValue() > 1e-4, "training must move the parameters");
            assertTrue(doubledStep.equalsWithEps(plainStep.mul(2), 1e-5), "eta = 2 must double the averaged change");
        });
    }

    /** Runs with the sampling noise fixed at 0.3, so workers are deterministic. */
    private static void withFixedNoise(Runnable check) {
        latentdigits.model.GaussianSampleVertexAccess.fixNoise(n -> Nd4j.ones(DataType.FLOAT, n).muli(0.3));
        try {
            check.run();
        } finally {
            latentdigits.model.GaussianSampleVertexAccess.fixNoise(null);
        }
    }

    private static ComputationGraph graph() {
        return VaeNetworks.full(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 5, DataType.FLOAT));
    }

    private static ComputationGraph fitOnce(JavaSparkContext jsc, List<MultiDataSet> batches, double eta) {
        return fit(jsc, batches, eta, false, 2, 2);
    }

    private static ComputationGraph fit(JavaSparkContext jsc, List<MultiDataSet> batches, double eta, boolean barrier,
                                        int workers, int averagingFrequency) {
        return fit(jsc, batches, new AveragingRounds(averagingFrequency, eta, barrier, true, 1), workers);
    }

    private static ComputationGraph fit(JavaSparkContext jsc, List<MultiDataSet> batches, AveragingRounds averaging, int workers) {
        int averagingFrequency = averaging.frequency();
        ComputationGraph graph = graph();
        ParameterAveragingTrainingMaster.Builder b = new ParameterAveragingTrainingMaster.Builder(workers, 20)
                .batchSizePerWorker(20).averagingFrequency(averagingFrequency).saveUpdater(true).workerPrefetchNumBatches(0)
                .rddTrainingApproach(RDDTrainingApproach.Direct).storageLevel(StorageLevel.MEMORY_ONLY())
                .repartionData(Repartition.Never).rngSeed(1);
        JavaRDD<MultiDataSet> rdd = jsc.parallelize(batches, workers);
        new SparkComputationGraph(jsc, graph, new AveragingTrainingMaster(b, averaging, 1)).fitMultiDataSet(rdd);
        rdd.unpersist(false);
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

    /**
     * Adam's moments averaged per epoch: the parameters still take the averaged step every round, but each worker's
     * moments follow its own minibatches, and the driver ends the epoch with their mean.
     */
    @Test
    void adamStatePerEpochIsEachWorkersOwnAveragedWhenTheEpochEnds() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.local2().sparkContext());
        List<MultiDataSet> batches = randomBatches(4); // partition 0 holds batches 0 and 1, partition 1 batches 2 and 3
        double eta = 2.0;
        withFixedNoise(() -> {
            ComputationGraph perEpoch = fit(jsc, batches, new AveragingRounds(1, eta, true, false, 1), 2);
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
            assertTrue(perEpoch.params().equalsWithEps(first.params(), 1e-5), "parameters: the averaged step every round");
            assertTrue(perEpoch.getUpdater().getStateViewArray().equalsWithEps(meanState, 1e-5), "Adam state: the mean of the workers' own");
            ComputationGraph eachRound = fit(jsc, batches, new AveragingRounds(1, eta, true, true, 1), 2);
            // the moments are running means, so their mean comes out the same either way; the steps do not, since
            // from the second round on each worker divides by its own moments
            double apart = eachRound.params().distance2(perEpoch.params()), moved = perEpoch.params().distance2(graph().params());
            assertTrue(apart > 1e-3 * moved, "averaging every round takes other steps: " + apart + " apart after moving " + moved);
        });
    }

    /** The in-stage all-reduce must compute exactly the round DL4J's job-per-round path computes. */
    @Test
    void barrierRoundsTrainLikeJobRounds() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.local2().sparkContext());
        List<MultiDataSet> batches = randomBatches(4);
        withFixedNoise(() -> {
            ComputationGraph jobs = fit(jsc, batches, 2.0, false, 2, 2);
            ComputationGraph barrier = fit(jsc, batches, 2.0, true, 2, 2);
            assertTrue(barrier.params().sub(graph().params()).norm2Number().doubleValue() > 1e-4, "training must move the parameters");
            assertTrue(barrier.params().equalsWithEps(jobs.params(), 1e-5), "same parameters after one round");
            assertTrue(barrier.getUpdater().getStateViewArray().equalsWithEps(jobs.getUpdater().getStateViewArray(), 1e-5),
                    "same Adam state after one round");
            assertEquals(jobs.getConfiguration().getIterationCount(), barrier.getConfiguration().getIterationCount());
        });
    }

    /** One barrier worker averaging after every minibatch is plain sequential training, step for step. */
    @Test
    void oneBarrierWorkerTrainsExactlyLikeOneJvm() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.local2().sparkContext());
        List<MultiDataSet> batches = randomBatches(3);
        withFixedNoise(() -> {
            ComputationGraph spark = fit(jsc, batches, 1.0, true, 1, 1);
            ComputationGraph local = graph();
            for (MultiDataSet b : batches) local.fit(b);
            assertEquals(3, spark.getConfiguration().getIterationCount());
            assertTrue(spark.params().equalsWithEps(local.params(), 1e-6), "same parameters as sequential fit()");
        });
    }

    /** Partitions with different numbers of minibatches: the shorter one keeps joining rounds until all are done. */
    @Test
    void barrierWorkersWithUnevenPartitionsFinishTogether() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.local2().sparkContext());
        ComputationGraph graph = fit(jsc, randomBatches(5), 2.0, true, 2, 1); // 2 and 3 minibatches
        assertEquals(3, graph.getConfiguration().getIterationCount());
        assertFalse(graph.params().isNaN().any(), "parameters stay finite");
    }
}
