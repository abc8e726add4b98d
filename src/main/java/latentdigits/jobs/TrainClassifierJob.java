package latentdigits.jobs;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.distributed.AveragingSettings;
import latentdigits.distributed.TrainingShards;
import latentdigits.model.DigitClassifier;
import latentdigits.train.ClassifierTrainer;
import latentdigits.util.Json;
import latentdigits.util.Numbers;
import latentdigits.util.RunDirectory;
import org.apache.spark.sql.SparkSession;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains the project's digit classifier (the judge of generated samples, see {@link ScoreJob}) on Spark with the VAE's
 * data pipeline, parameter averaging and run directory, and records its accuracy on the 10,000 test images.
 */
public final class TrainClassifierJob {
    static final Options OPTIONS = new Options("train-classifier",
            "Trains a small CNN digit classifier on Spark and writes DIR/{model.zip, metrics.jsonl, config.json, test.json}.")
            .trainingFlags()
            .value("batch", "B", "minibatch size (per worker)")
            .value("validation", "N", "training images held out for the per-epoch accuracy");

    private TrainClassifierJob() {
    }

    public static void main(String[] args) {
        JobMain.mainWithSpark(OPTIONS, args, (spark, a) -> train(spark, a, args));
    }

    /** Returns test.json's contents; the run directory is complete when this returns. */
    public static Map<String, Object> train(SparkSession spark, Options.Args a, String[] commandLine) throws Exception {
        long seed = a.longValue("seed", 0);
        DigitSource test = DigitSource.open(a.require("data"), DigitSource.Split.TEST, spark.sparkContext().hadoopConfiguration());
        try (TrainingRun training = TrainingRun.open(spark, "train-classifier", a, commandLine, List.of(test.images(), test.labels()))) {
            if (training.complete()) {
                training.finishedRows();
                return Json.parse(new String(training.finishedFile("test.json"), java.nio.charset.StandardCharsets.UTF_8));
            }
            TrainingShards shards = training.loadShards(a.integer("validation", 0));
            DigitClassifier classifier = DigitClassifier.create(a.number("learning-rate"), seed);
            // the VAE's averaging: after every minibatch, the default outer learning rate
            var engine = training.graphEngine(a.integer("batch", 1), AveragingSettings.EVERY_MINIBATCH, DigitClassifier::trainingBatch);
            ClassifierTrainer trainer = new ClassifierTrainer(classifier, engine, shards.validation(), training.provenance());
            RunDirectory run = training.directory();
            training.train(trainer, a.integer("epochs", 1));
            DigitBlock testSet = test.readAll(training.hadoopConfiguration());
            double accuracy = trainer.testAccuracy(testSet);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("test_accuracy", Numbers.round(accuracy, 4));
            result.put("test_images", testSet.size());
            run.writeBytes("model.zip", classifier.toBytes(training.provenance(), accuracy));
            run.writeText("test.json", Json.pretty(result));
            training.commit();
            System.out.println("train-classifier: test accuracy " + result.get("test_accuracy") + "; wrote " + run.finalPath());
            return result;
        }
    }
}
