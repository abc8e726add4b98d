package latentdigits.jobs;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.model.DigitClassifier;
import latentdigits.train.ClassifierTrainer;
import latentdigits.train.EpochLoop;
import latentdigits.train.Provenance;
import latentdigits.train.SparkRuntime;
import latentdigits.train.TrainingShards;
import latentdigits.util.HadoopConf;
import latentdigits.util.Json;
import latentdigits.util.RunDirectory;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains the project's digit classifier (the judge of generated samples, see {@link ScoreJob}) on Spark with the same
 * data pipeline, master and run directory as the VAE, and records its accuracy on the 10,000 test images.
 */
public final class TrainClassifierJob {
    static final Options OPTIONS = new Options("train-classifier",
            "Trains a small CNN digit classifier on Spark and writes DIR/{model.zip, metrics.jsonl, config.json, test.json}.")
            .value("data", "DIR", "folder with the MNIST IDX files, raw or .gz (file:, hdfs:, s3a: ...)")
            .value("out", "DIR", "run directory to create (written to a hidden staging directory, renamed when complete)")
            .value("epochs", "N", "passes over the training images")
            .value("batch", "B", "minibatch size (per worker)")
            .value("learning-rate", "LR", "Adam learning rate")
            .value("engine", "spark|jvm", "spark: the VAE's parameter-averaging master; jvm: plain fit() in the driver")
            .value("master", "URL", "Spark master when not run by spark-submit (default local[*])")
            .value("partitions", "P", "training shards; 0 = one per executor core")
            .value("train-limit", "N", "use only the first N training images (0 = all)")
            .value("validation", "N", "training images held out for the per-epoch accuracy")
            .value("seed", "S", "seed for initialisation, validation split and shuffling")
            .toggle("overwrite", "replace --out if it already exists");

    private TrainClassifierJob() {
    }

    public static void main(String[] args) {
        JobMain.mainWithSpark(OPTIONS, args, (spark, a) -> train(spark, a, args));
    }

    /** Returns test.json's contents; the run directory is complete when this returns. */
    public static Map<String, Object> train(SparkSession spark, Options.Args a, String[] commandLine) throws Exception {
        long seed = a.longValue("seed", 0);
        JavaSparkContext jsc = SparkRuntime.context(spark);
        Configuration conf = jsc.hadoopConfiguration();
        DigitSource train = DigitSource.open(a.require("data"), DigitSource.Split.TRAIN, conf);
        DigitSource test = DigitSource.open(a.require("data"), DigitSource.Split.TEST, conf);
        int partitions = SparkRuntime.partitions(jsc, a.integer("partitions", 0));
        try (RunDirectory run = RunDirectory.create(a.require("out"), a.flag("overwrite"), conf)) {
            Map<String, Object> provenance = Provenance.of(spark, partitions, seed,
                    List.of(train.images(), train.labels(), test.images(), test.labels()), conf, commandLine);
            run.writeText("config.json", Json.pretty(TrainVaeJob.config("train-classifier", a, provenance)));
            Map<String, Object> result = new LinkedHashMap<>();
            try (TrainingShards shards = TrainingShards.load(jsc, train, new HadoopConf(conf), a.integer("train-limit", 0),
                    a.integer("validation", 0), partitions, seed)) {
                DigitClassifier classifier = DigitClassifier.create(a.number("learning-rate"), seed);
                ClassifierTrainer trainer = new ClassifierTrainer(jsc, classifier, shards, TrainVaeJob.engine(a.require("engine")),
                        a.integer("batch", 1), seed, provenance);
                EpochLoop.run(trainer, a.integer("epochs", 1), run);
                DigitBlock testSet = test.readAll(conf);
                double accuracy = trainer.testAccuracy(testSet);
                result.put("test_accuracy", EpochLoop.round(accuracy, 4));
                result.put("test_images", testSet.size());
                run.writeBytes("model.zip", classifier.toBytes(provenance, accuracy));
                run.writeText("test.json", Json.pretty(result));
            }
            run.commit();
            System.out.println("train-classifier: test accuracy " + result.get("test_accuracy") + "; wrote " + run.finalPath());
            return result;
        }
    }
}
