package latentdigits.jobs;

import latentdigits.data.DigitSource;
import latentdigits.figures.GanFigures;
import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import latentdigits.train.EpochLoop;
import latentdigits.train.GanTrainer;
import latentdigits.train.Provenance;
import latentdigits.train.SparkRuntime;
import latentdigits.train.TrainingShards;
import latentdigits.util.HadoopConf;
import latentdigits.util.Json;
import latentdigits.util.RunDirectory;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

/**
 * The study's section 3 on Spark: a generator (z of 150 -> 50 -> 50 -> 784, tanh) against a discriminator
 * (784 -> 50 -> 50 -> 1); each step D learns to tell 100 data images from 100 generated ones (noisy labels), then G, on
 * fresh z, learns to fool D; Adam 0.001 for both. Then the loss curves (Figure 5), 36 samples (Figure 6) and an
 * interpolation between two random z (Figure 7).
 */
public final class TrainGanJob {
    static final Options OPTIONS = new Options("train-gan",
            "Trains the study's GAN on Spark and writes DIR/{model.zip, metrics.jsonl, config.json, figures/}.")
            .value("data", "DIR", "folder with the MNIST IDX files, raw or .gz (file:, hdfs:, s3a: ...)")
            .value("out", "DIR", "run directory to create (written to a hidden staging directory, renamed when complete)")
            .value("epochs", "N", "passes over the training images")
            .value("batch", "B", "real images per step, split over the workers (D also sees as many generated ones)")
            .value("learning-rate", "LR", "Adam learning rate of both players")
            .value("beta1", "B1", "Adam's beta1 of both players")
            .value("label-noise", "E", "real labels uniform in [1 - E, 1], generated ones in [0, E]")
            .value("generated-label-noise", "E2", "generated labels uniform in [0, E2] instead (0: one-sided smoothing); empty = --label-noise")
            .value("leaky-slope", "A", "negative slope of the leaky ReLUs of G and D")
            .value("latent", "K", "dimensions of z")
            .value("hidden", "H", "units of each hidden layer of G and D")
            .value("engine", "spark|jvm", "spark: barrier stages (see --epochs-per-stage), gradients averaged over workers every step; jvm: the same steps in the driver")
            .value("epochs-per-stage", "N", "epochs one Spark barrier stage trains, 0 for all: each stage costs ~35 ms to start and end; the numbers trained are the same whatever N is")
            .value("master", "URL", "Spark master when not run by spark-submit (default local[*])")
            .value("partitions", "P", "training shards = workers; 0 = one per executor core")
            .value("train-limit", "N", "use only the first N training images (0 = all)")
            .value("seed", "S", "seed for initialisation, shuffling, z and label noise")
            .toggle("overwrite", "replace --out if it already exists");

    private TrainGanJob() {
    }

    public static void main(String[] args) {
        JobMain.mainWithSpark(OPTIONS, args, (spark, a) -> train(spark, a, args));
    }

    static latentdigits.train.GanSteps.LabelNoise labelNoise(Options.Args a) {
        double real = a.number("label-noise");
        boolean same = a.getOr("generated-label-noise", null) == null;
        return new latentdigits.train.GanSteps.LabelNoise(real, same ? real : a.number("generated-label-noise"));
    }

    /** Returns the metrics rows; the run directory is complete (renamed into place) when this returns. */
    public static List<Map<String, Object>> train(SparkSession spark, Options.Args a, String[] commandLine) throws Exception {
        long seed = a.longValue("seed", 0);
        GanNetworks.Spec spec = new GanNetworks.Spec(a.integer("latent", 1), a.integer("hidden", 1), DigitSource.PIXELS,
                a.number("learning-rate"), a.number("beta1"), seed, a.number("leaky-slope"));
        GanTrainer.Settings settings = new GanTrainer.Settings(TrainVaeJob.engine(a.require("engine")), a.integer("batch", 1),
                labelNoise(a), seed, a.integer("epochs-per-stage", 0));
        int epochs = a.integer("epochs", 1);
        JavaSparkContext jsc = SparkRuntime.context(spark);
        Configuration conf = jsc.hadoopConfiguration();
        DigitSource train = DigitSource.open(a.require("data"), DigitSource.Split.TRAIN, conf);
        int partitions = SparkRuntime.partitions(jsc, a.integer("partitions", 0));

        try (RunDirectory run = RunDirectory.create(a.require("out"), a.flag("overwrite"), conf)) {
            Map<String, Object> provenance = Provenance.of(spark, partitions, seed, List.of(train.images(), train.labels()), conf, commandLine);
            run.writeText("config.json", Json.pretty(TrainVaeJob.config("train-gan", a, provenance)));
            List<Map<String, Object>> rows;
            try (TrainingShards shards = TrainingShards.load(jsc, train, new HadoopConf(conf), a.integer("train-limit", 0), 0, partitions, seed)) {
                GanModel gan = GanModel.create(spec);
                rows = EpochLoop.run(new GanTrainer(jsc, gan, shards, settings, provenance), epochs, run);
                run.writePng("figures/loss.png", GanFigures.loss(rows, "GAN: discriminator and generator loss"));
                Nd4j.getRandom().setSeed(seed + 7);
                run.writePng("figures/samples.png", GanFigures.samples(gan, gan.randomLatent(36), 6, "GAN: G on 36 random z ~ N(0, I)"));
                INDArray ends = gan.randomLatent(2);
                run.writePng("figures/interpolation.png", GanFigures.interpolation(gan, ends.getRow(0), ends.getRow(1), 10,
                        "GAN: G on 10 points of the line between two random z"));
            }
            run.commit();
            System.out.println("train-gan: wrote " + run.finalPath() + " (model.zip, metrics.jsonl, config.json, figures/)");
            return rows;
        }
    }
}
