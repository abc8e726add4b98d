package latentdigits.jobs;

import latentdigits.data.DigitSource;
import latentdigits.distributed.TrainingShards;
import latentdigits.figures.GanFigures;
import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import latentdigits.train.GanSteps;
import latentdigits.train.GanTrainer;
import latentdigits.util.RunDirectory;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The study's section 3 on Spark: a generator (z of 150 -> 50 -> 50 -> 784, tanh) against a discriminator
 * (784 -> 50 -> 50 -> 1); each step D learns to tell 100 data images from 100 generated ones (noisy labels), then G, on
 * fresh z, learns to fool D; Adam 0.001 for both. Then the loss curves (Figure 5), 36 samples (Figure 6) and an
 * interpolation between two random z (Figure 7).
 */
public final class TrainGanJob {
    static final Options OPTIONS = new Options("train-gan",
            "Trains the study's GAN on Spark and writes DIR/{model.zip, metrics.jsonl, config.json, figures/}.")
            .trainingFlags()
            .value("batch", "B", "real images per step, split over the workers (D also sees as many generated ones)")
            .value("beta1", "B1", "Adam's beta1 of both players")
            .value("label-noise", "E", "real labels uniform in [1 - E, 1], generated ones in [0, E]")
            .value("generated-label-noise", "E2", "generated labels uniform in [0, E2] instead (0: one-sided smoothing); empty = --label-noise")
            .value("leaky-slope", "A", "negative slope of the leaky ReLUs of G and D")
            .value("latent", "K", "dimensions of z")
            .value("hidden", "H", "units of each hidden layer of G and D")
            .value("init-from", "MODEL", "start from a trained GAN of the same architecture (a model.zip, a run directory, or a published MODELS/latest) instead of random weights");

    private TrainGanJob() {
    }

    public static void main(String[] args) {
        JobMain.mainWithSpark(OPTIONS, args, (spark, a) -> train(spark, a, args));
    }

    static GanSteps.LabelNoise labelNoise(Options.Args a) {
        double real = a.number("label-noise");
        boolean same = a.getOr("generated-label-noise", null) == null;
        return new GanSteps.LabelNoise(real, same ? real : a.number("generated-label-noise"));
    }

    /** Returns the metrics rows; the run directory is complete (renamed into place) when this returns. */
    public static List<Map<String, Object>> train(SparkSession spark, Options.Args a, String[] commandLine) throws Exception {
        long seed = a.longValue("seed", 0);
        GanNetworks.Spec spec = new GanNetworks.Spec(a.integer("latent", 1), a.integer("hidden", 1), DigitSource.PIXELS,
                a.number("learning-rate"), a.number("beta1"), seed, a.number("leaky-slope"));
        GanSteps.LabelNoise labelNoise = labelNoise(a);
        int batch = a.integer("batch", 1);
        Optional<WarmStart> warmStart = WarmStart.of(a, GanModel.KIND,
                Map.of("latent", spec.latent(), "hidden", spec.hidden(), "leaky_slope", spec.leakySlope()), spark.sparkContext().hadoopConfiguration());
        try (TrainingRun training = TrainingRun.open(spark, "train-gan", a, commandLine, List.of(), warmStart)) {
            if (training.complete()) return training.finishedRows();
            TrainingShards shards = training.loadShards(0);
            GanModel gan = GanModel.create(spec);
            INDArray evalImages = GanModel.realImages(shards.trainSample(GanTrainer.EVAL_IMAGES), 0, GanTrainer.EVAL_IMAGES);
            var engine = training.ganEngine(batch, labelNoise);
            RunDirectory run = training.directory();
            GanTrainer trainer = new GanTrainer(gan, engine, evalImages, seed, training.provenance());
            warmStart.ifPresent(w -> trainer.restore(w.networks()));
            List<Map<String, Object>> rows = training.train(trainer, a.integer("epochs", 1));
            run.writePng("figures/loss.png", GanFigures.loss(rows, "GAN: discriminator and generator loss"));
            Nd4j.getRandom().setSeed(seed + 7);
            run.writePng("figures/samples.png", GanFigures.samples(gan, gan.randomLatent(36), 6, "GAN: G on 36 random z ~ N(0, I)"));
            INDArray ends = gan.randomLatent(2);
            run.writePng("figures/interpolation.png", GanFigures.interpolation(gan, ends.getRow(0), ends.getRow(1), 10,
                    "GAN: G on 10 points of the line between two random z"));
            training.commit();
            System.out.println("train-gan: wrote " + run.finalPath() + " (model.zip, metrics.jsonl, config.json, figures/)");
            return rows;
        }
    }
}
