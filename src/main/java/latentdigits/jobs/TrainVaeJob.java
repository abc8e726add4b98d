package latentdigits.jobs;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.distributed.TrainingShards;
import latentdigits.figures.VaeFigures;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.train.VaeTrainer;
import latentdigits.util.RunDirectory;
import latentdigits.util.UserError;
import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The study's section 2 on Spark: shard MNIST across the executors, hold out a validation split, and minimise
 * XENT + KL with Adam (lr 0.001, batch 100, 40 epochs), the workers averaging their networks; track both losses on
 * training and validation images every epoch; then draw the loss curves (Figure 1), an interpolation between two test
 * digits (Figure 3) and the decoder over a 15 x 15 latent grid (Figure 4).
 */
public final class TrainVaeJob {
    static final Options OPTIONS = VaeTrainingFlags.OPTIONS;

    private TrainVaeJob() {
    }

    public static void main(String[] args) {
        JobMain.mainWithSpark(OPTIONS, args, (spark, a) -> train(spark, a, args));
    }

    /** Returns the metrics rows; the run directory is complete (renamed into place) when this returns. */
    public static List<Map<String, Object>> train(SparkSession spark, Options.Args a, String[] commandLine) throws Exception {
        VaeNetworks.Spec spec = VaeTrainingFlags.spec(a);
        int batch = a.integer("batch", 1);
        var averaging = VaeTrainingFlags.averaging(a);
        DigitSource test = DigitSource.open(a.require("data"), DigitSource.Split.TEST, spark.sparkContext().hadoopConfiguration());
        DigitBlock ends = interpolationEnds(test.readAll(spark.sparkContext().hadoopConfiguration()), a);
        Optional<WarmStart> warmStart = WarmStart.of(a, VaeModel.KIND,
                Map.of("architecture", spec.architecture().name(), "latent", spec.latent()), spark.sparkContext().hadoopConfiguration());
        try (TrainingRun training = TrainingRun.open(spark, "train-vae", a, commandLine, List.of(test.images(), test.labels()), warmStart)) {
            if (training.complete()) return training.finishedRows();
            TrainingShards shards = training.loadShards(a.integer("validation", 0));
            String title = spec.architecture().name().toUpperCase() + " VAE";
            VaeModel vae = VaeModel.create(spec);
            int latent = vae.latent();
            var engine = training.graphEngine(batch, averaging, (block, from, to) -> VaeModel.trainingBatch(block, from, to, latent));
            VaeTrainer trainer = new VaeTrainer(vae, engine, shards.trainSample(a.integer("eval-limit", 1)), shards.validation(),
                    a.integer("eval-batch", 1), spec.seed(), training.provenance(), title);
            warmStart.ifPresent(w -> trainer.restore(w.networks()));
            RunDirectory run = training.directory();
            List<Map<String, Object>> rows = training.train(trainer, a.integer("epochs", 1));
            run.writePng("figures/loss.png", VaeFigures.loss(rows, title));
            run.writePng("figures/interpolation.png", VaeFigures.interpolation(vae, ends, 10,
                    title + ": test digits " + ends.label(0) + " and " + ends.label(1) + " with 10 decodings between their means"));
            run.writePng("figures/grid.png", VaeFigures.latentGrid(vae, 15, 2.0,
                    title + ": decoder on a 15 x 15 grid of z over [-2, 2]\u00b2"));
            training.commit();
            System.out.println("train-vae: wrote " + run.finalPath() + " (model.zip, metrics.jsonl, config.json, figures/)");
            return rows;
        }
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
}
