package latentdigits.jobs;

import latentdigits.data.Minibatches;
import latentdigits.distributed.AveragingSettings;
import latentdigits.distributed.GradientAveraging;
import latentdigits.distributed.ParameterAveraging;
import latentdigits.distributed.StagePlan;
import latentdigits.distributed.TrainingShards;
import latentdigits.model.GanModel;
import latentdigits.train.GanSteps;
import latentdigits.train.LocalGanEngine;
import latentdigits.train.LocalGraphEngine;
import latentdigits.train.TrainingEngine;
import latentdigits.util.UserError;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/** The engines the --engine flag names: spark (the workers of {@code latentdigits.distributed}) or jvm (the reference). */
public final class Engines {
    private Engines() {
    }

    /** True for --engine spark, false for jvm; anything else is refused. */
    public static boolean spark(String engineFlag) {
        return switch (engineFlag) {
            case "spark" -> true;
            case "jvm" -> false;
            default -> throw new UserError("--engine: expected spark or jvm, found '" + engineFlag + "'");
        };
    }

    /** A ComputationGraph's engine: Spark parameter averaging, or fit() in this JVM on all of the shards' images. */
    public static TrainingEngine<ComputationGraph> graph(String engineFlag, JavaSparkContext jsc, TrainingShards shards, int batch,
                                                         AveragingSettings averaging, StagePlan plan, long seed,
                                                         Minibatches.Maker<MultiDataSet> minibatch) {
        return spark(engineFlag) ? new ParameterAveraging(jsc, shards, batch, averaging, plan, seed, minibatch)
                : new LocalGraphEngine(shards.trainSample(Integer.MAX_VALUE), seed, batch, minibatch);
    }

    /** The GAN's engine: Spark gradient averaging, or the same steps in this JVM on all of the shards' images. */
    public static TrainingEngine<GanModel> gan(String engineFlag, JavaSparkContext jsc, TrainingShards shards, int batch,
                                               GanSteps.LabelNoise labelNoise, StagePlan plan, long seed) {
        return spark(engineFlag) ? new GradientAveraging(jsc, shards, batch, labelNoise, plan, seed)
                : new LocalGanEngine(shards.trainSample(Integer.MAX_VALUE), seed, batch, labelNoise);
    }
}
