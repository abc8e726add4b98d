package latentdigits.distributed;

import latentdigits.data.DigitSource;
import latentdigits.jobs.JobAccess;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import latentdigits.util.HadoopConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several epochs per training stage (real MNIST, Spark local[2]): the same training as a stage an epoch, and stoppable. */
class TrainingStageIT {
    @TempDir
    Path tmp;

    /**
     * Three epochs as three stages, and as a stage of two then a stage of one: every epoch's metrics (scored by the
     * driver between epochs, so they show the network each epoch handed over) and the final model agree exactly.
     */
    @Test
    void severalEpochsPerStageTrainExactlyLikeOneStageAnEpoch() throws Exception {
        List<Map<String, Object>> perEpoch = train("1"), perTwo = train("2");
        assertEquals(3, perTwo.size());
        for (int e = 0; e < 3; e++)
            for (String key : List.of("train_xent", "train_kl", "val_xent", "val_kl"))
                assertEquals(perEpoch.get(e).get(key), perTwo.get(e).get(key), "epoch " + (e + 1) + " " + key);
        assertTrue(((Number) perTwo.get(2).get("val_xent")).doubleValue() < ((Number) perTwo.get(0).get("val_xent")).doubleValue(),
                "training must lower the loss");
        byte[] a = java.nio.file.Files.readAllBytes(tmp.resolve("k1/model.zip")), b = java.nio.file.Files.readAllBytes(tmp.resolve("k2/model.zip"));
        assertArrayEquals(latentdigits.model.ModelFiles.fromBytes(a, "k1").graph().params().data().asFloat(),
                latentdigits.model.ModelFiles.fromBytes(b, "k2").graph().params().data().asFloat(), "the final parameters");
    }

    private List<Map<String, Object>> train(String epochsPerStage) throws Exception {
        return JobAccess.train(TestSpark.local2(), "--data", TestData.mnist(), "--out", tmp.resolve("k" + epochsPerStage).toString(),
                "--epochs", "3", "--epochs-per-stage", epochsPerStage, "--train-limit", "2200", "--validation", "200",
                "--eval-limit", "500", "--seed", "5");
    }

    /** The GAN's stages the same way: both players' losses every epoch and the final generator agree exactly. */
    @Test
    void theGanTrainsExactlyTheSameWhateverItsEpochsPerStage() throws Exception {
        List<Map<String, Object>> perEpoch = trainGan("1"), perTwo = trainGan("2");
        assertEquals(3, perTwo.size());
        for (int e = 0; e < 3; e++)
            for (String key : List.of("d_loss", "g_loss"))
                assertEquals(perEpoch.get(e).get(key), perTwo.get(e).get(key), "GAN epoch " + (e + 1) + " " + key);
        byte[] a = java.nio.file.Files.readAllBytes(tmp.resolve("gan1/model.zip")), b = java.nio.file.Files.readAllBytes(tmp.resolve("gan2/model.zip"));
        assertArrayEquals(latentdigits.model.ModelFiles.fromBytes(a, "gan1").graph().params().data().asFloat(),
                latentdigits.model.ModelFiles.fromBytes(b, "gan2").graph().params().data().asFloat(), "the final networks");
    }

    private List<Map<String, Object>> trainGan(String epochsPerStage) throws Exception {
        return JobAccess.trainGan(TestSpark.local2(), "--data", TestData.mnist(), "--out", tmp.resolve("gan" + epochsPerStage).toString(),
                "--epochs", "3", "--epochs-per-stage", epochsPerStage, "--train-limit", "1200", "--seed", "5");
    }

    /** The driver stopping after one epoch of a three-epoch stage (a diverged loss, say) ends the Spark job. */
    @Test
    void aStageStoppedEarlyEndsItsSparkJob() throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.local2().sparkContext());
        var conf = jsc.hadoopConfiguration();
        TrainingShards shards = TrainingShards.load(jsc, DigitSource.open(TestData.mnist(), DigitSource.Split.TRAIN, conf),
                new HadoopConf(conf), 1000, 100, 2, 7);
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 7, DataType.FLOAT));
        try (ParameterAveraging engine = new ParameterAveraging(jsc, shards, 50, new AveragingSettings(1, 0), StagePlan.of(3, 1, jsc.getConf()), 7,
                (block, from, to) -> VaeModel.trainingBatch(block, from, to, 2))) {
            assertEquals(900, engine.fitEpoch(vae.graph(), 1, 3));
            assertTrue(engine.workerFitSeconds() > 0, "partition 0 reports its time in fit()");
            assertEquals(9, vae.graph().getConfiguration().getIterationCount(), "450 images a partition in minibatches of 50");
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (jsc.statusTracker().getActiveJobIds().length > 0 && System.currentTimeMillis() < deadline) Thread.sleep(100);
        assertEquals(0, jsc.statusTracker().getActiveJobIds().length, "the stage's job still runs");
        assertEquals(2L, jsc.parallelize(List.of(1, 2), 2).count(), "Spark runs the next job");
    }
}
