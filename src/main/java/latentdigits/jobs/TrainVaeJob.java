package latentdigits.jobs;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.figures.VaeFigures;
import latentdigits.model.VaeArchitecture;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.train.AveragingRounds;
import latentdigits.train.Engine;
import latentdigits.train.EpochLoop;
import latentdigits.train.Provenance;
import latentdigits.train.SparkRuntime;
import latentdigits.train.TrainingShards;
import latentdigits.train.VaeTrainer;
import latentdigits.util.HadoopConf;
import latentdigits.util.Json;
import latentdigits.util.RunDirectory;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The study's section 2 on Spark: shard MNIST across the executors, hold out a validation split, and minimise
 * XENT + KL with Adam (lr 0.001, batch 100, 40 epochs) under DL4J's parameter-averaging master; track both losses
 * on training and validation images every epoch; then draw the loss curves (Figure 1), an interpolation between
 * two test digits (Figure 3) and the decoder over a 15 x 15 latent grid (Figure 4).
 */
public final class TrainVaeJob {
    static final Options OPTIONS = new Options("train-vae",
            "Trains a VAE (the study's MLP VAE by default) on Spark and writes DIR/{model.zip, metrics.jsonl, config.json, figures/}.")
            .value("data", "DIR", "folder with the MNIST IDX files, raw or .gz (file:, hdfs:, s3a: ...)")
            .value("out", "DIR", "run directory to create (written to a hidden staging directory, renamed when complete)")
            .value("arch", "mlp|cnn", "encoder/decoder definition: the study's MLP VAE or its convolutional VAE")
            .value("latent", "K", "latent dimensions")
            .value("epochs", "N", "passes over the training images")
            .value("batch", "B", "minibatch size (per worker)")
            .value("learning-rate", "LR", "Adam learning rate")
            .value("averaging-frequency", "F", "minibatches each worker fits between two parameter averagings")
            .value("outer-learning-rate", "ETA", "scale of each averaging round's change: 1 = DL4J's plain average, W (the number of workers) = the sum of their updates, 0 = 1.5 W (the default, measured in docs/design.md)")
            .value("averaging-rounds", "barrier|jobs", "barrier: the averaging rounds run inside Spark barrier stages (see --epochs-per-stage), workers all-reducing; jobs: one Spark job per round, as DL4J's master does")
            .value("adam-state-averaging", "epoch|round", "epoch: each worker keeps its own Adam moments through an epoch's barrier rounds, averaged when the epoch ends; round: averaged with the parameters every round (always so with --averaging-rounds jobs)")
            .value("epochs-per-stage", "N", "epochs one Spark barrier stage trains, 0 for all (barrier rounds only): each stage costs ~35 ms to start and end; the numbers trained are the same whatever N is")
            .value("engine", "spark|jvm", "spark: ParameterAveragingTrainingMaster; jvm: plain fit() in the driver, the single-JVM reference")
            .value("master", "URL", "Spark master when not run by spark-submit (default local[*])")
            .value("partitions", "P", "training shards; 0 = one per executor core")
            .value("train-limit", "N", "use only the first N training images (0 = all)")
            .value("validation", "N", "training images held out, chosen with --seed, for the validation curve")
            .value("eval-limit", "N", "training images scored after each epoch for the training curve")
            .value("eval-batch", "B", "batch size when scoring")
            .value("seed", "S", "seed for initialisation, validation split, shuffling and sample noise")
            .value("from-index", "I", "test image at the left of interpolation.png (default: the first 5 of the test set)")
            .value("to-index", "I", "test image at the right of interpolation.png (default: the first 7 of the test set)")
            .toggle("overwrite", "replace --out if it already exists");

    private TrainVaeJob() {
    }

    /** train-vae's flags and conf defaults, for callers that train the same way (the benchmark). */
    public static Options options() {
        return OPTIONS;
    }

    public static void main(String[] args) {
        JobMain.mainWithSpark(OPTIONS, args, (spark, a) -> train(spark, a, args));
    }

    /** Returns the metrics rows; the run directory is complete (renamed into place) when this returns. */
    public static List<Map<String, Object>> train(SparkSession spark, Options.Args a, String[] commandLine) throws Exception {
        VaeNetworks.Spec spec = spec(a);
        int epochs = a.integer("epochs", 1);
        VaeTrainer.Settings settings = settings(a);
        JavaSparkContext jsc = SparkRuntime.context(spark);
        Configuration conf = jsc.hadoopConfiguration();
        String data = a.require("data");
        DigitSource train = DigitSource.open(data, DigitSource.Split.TRAIN, conf);
        DigitSource test = DigitSource.open(data, DigitSource.Split.TEST, conf);
        DigitBlock ends = interpolationEnds(test.readAll(conf), a);
        int partitions = SparkRuntime.partitions(jsc, a.integer("partitions", 0));

        try (RunDirectory run = RunDirectory.create(a.require("out"), a.flag("overwrite"), conf)) {
            Map<String, Object> provenance = Provenance.of(spark, partitions, spec.seed(),
                    List.of(train.images(), train.labels(), test.images(), test.labels()), conf, commandLine);
            run.writeText("config.json", Json.pretty(config("train-vae", a, provenance)));
            String title = spec.architecture().name().toUpperCase() + " VAE";
            List<Map<String, Object>> rows;
            try (TrainingShards shards = TrainingShards.load(jsc, train, new HadoopConf(conf), a.integer("train-limit", 0),
                    a.integer("validation", 0), partitions, spec.seed())) {
                VaeModel vae = VaeModel.create(spec);
                rows = EpochLoop.run(new VaeTrainer(jsc, vae, shards, settings, provenance, title), epochs, run);
                run.writePng("figures/loss.png", VaeFigures.loss(rows, title));
                run.writePng("figures/interpolation.png", VaeFigures.interpolation(vae, ends, 10,
                        title + ": test digits " + ends.label(0) + " and " + ends.label(1) + " with 10 decodings between their means"));
                run.writePng("figures/grid.png", VaeFigures.latentGrid(vae, 15, 2.0,
                        title + ": decoder on a 15 x 15 grid of z over [-2, 2]\u00b2"));
            }
            run.commit();
            System.out.println("train-vae: wrote " + run.finalPath() + " (model.zip, metrics.jsonl, config.json, figures/)");
            return rows;
        }
    }

    /** The network these flags describe (also used by the benchmark, so it measures what users train). */
    public static VaeNetworks.Spec spec(Options.Args a) {
        return new VaeNetworks.Spec(VaeArchitecture.named(a.require("arch"), "--arch"),
                a.integer("latent", 1), a.number("learning-rate"), a.longValue("seed", 0), DataType.FLOAT);
    }

    /** How these flags say to train it. */
    public static VaeTrainer.Settings settings(Options.Args a) {
        boolean barrier = barrierRounds(a.require("averaging-rounds"));
        AveragingRounds averaging = new AveragingRounds(a.integer("averaging-frequency", 1), outerLearningRate(a), barrier,
                !barrier || adamStateEachRound(a.require("adam-state-averaging")), a.integer("epochs-per-stage", 0));
        return new VaeTrainer.Settings(engine(a.require("engine")), a.integer("batch", 1), averaging, a.longValue("seed", 0),
                a.integer("eval-limit", 1), a.integer("eval-batch", 1));
    }

    static double outerLearningRate(Options.Args a) {
        double eta = a.number("outer-learning-rate");
        if (eta < 0) throw new UserError("--outer-learning-rate: expected 0 (= 1.5 x the number of workers) or a positive number, found " + eta);
        return eta;
    }

    static boolean barrierRounds(String value) {
        return switch (value) {
            case "barrier" -> true;
            case "jobs" -> false;
            default -> throw new UserError("--averaging-rounds: expected barrier or jobs, found '" + value + "'");
        };
    }

    static boolean adamStateEachRound(String value) {
        return switch (value) {
            case "round" -> true;
            case "epoch" -> false;
            default -> throw new UserError("--adam-state-averaging: expected epoch or round, found '" + value + "'");
        };
    }

    static Engine engine(String value) {
        return switch (value) {
            case "spark" -> Engine.SPARK;
            case "jvm" -> Engine.JVM;
            default -> throw new UserError("--engine: expected spark or jvm, found '" + value + "'");
        };
    }

    /** The two test images of Figure 3: --from-index/--to-index, by default the first 5 and the first 7. */
    static DigitBlock interpolationEnds(DigitBlock testSet, Options.Args a) {
        int from = endIndex(testSet, a.get("from-index"), "from-index", 5);
        int to = endIndex(testSet, a.get("to-index"), "to-index", 7);
        return testSet.select(new int[]{from, to});
    }

    private static int endIndex(DigitBlock testSet, String given, String flag, int defaultDigit) {
        if (given == null || given.isBlank()) return testSet.firstWithLabel(defaultDigit);
        int index;
        try {
            index = Integer.parseInt(given);
        } catch (NumberFormatException e) {
            throw new UserError("--" + flag + ": expected an integer, found '" + given + "'");
        }
        if (index < 0 || index >= testSet.size())
            throw new UserError("--" + flag + ": expected 0 to " + (testSet.size() - 1) + " (a test image), found " + index);
        return index;
    }

    static Map<String, Object> config(String job, Options.Args a, Map<String, Object> provenance) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("job", job);
        c.put("config", a.effective());
        c.put("provenance", provenance);
        return c;
    }
}
