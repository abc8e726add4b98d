package latentdigits.train;

import latentdigits.model.GanModel;
import latentdigits.model.GanNetworks;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One epoch of the GAN as one Spark barrier stage: every task runs the study's D step / G step on its own minibatches,
 * and both players' gradients are averaged over all tasks inside each fit() ({@link AllReducedGradients}), so all
 * workers hold the same two networks throughout and partition 0 hands them back to the driver.
 */
final class GanRounds extends AbstractFunction1<scala.collection.Iterator<INDArray>, scala.collection.Iterator<GanRounds.Result>>
        implements Serializable {
    private static final ThreadLocal<Map.Entry<String, GanModel>> CACHE = new ThreadLocal<>();
    private static final float[] ONE = {1f};

    private final Broadcast<GanState> state;
    private final GanNetworks.Spec spec;
    private final GanSteps.LabelNoise labelNoise;
    private final String runId;
    private final long seed;

    GanRounds(Broadcast<GanState> state, GanNetworks.Spec spec, GanSteps.LabelNoise labelNoise, String runId, long seed) {
        this.state = state;
        this.spec = spec;
        this.labelNoise = labelNoise;
        this.runId = runId;
        this.seed = seed;
    }

    /** Partition 0's networks after the epoch (null from the other tasks: all hold the same). */
    record Result(GanState state) implements Serializable {
    }

    @Override
    public scala.collection.Iterator<Result> apply(scala.collection.Iterator<INDArray> partition) {
        BarrierTaskContext context = BarrierTaskContext.get();
        Iterator<INDArray> minibatches = JavaConverters.asJavaIterator(partition);
        try (StageAllReduce allReduce = StageAllReduce.join(context, runId)) {
            GanModel gan = network();
            state.getValue().applyTo(gan);
            // after building the networks (which reseeds): fresh z and label noise per worker and epoch
            Nd4j.getRandom().setSeed(seed + 1_000_003L * context.partitionId());
            AllReducedGradients gradients = new AllReducedGradients(allReduce);
            gan.discriminator().setListeners(gradients);
            gan.generator().setListeners(gradients);
            try {
                GanSteps steps = new GanSteps(gan, labelNoise);
                INDArray last = Nd4j.zeros(DataType.FLOAT, 1, spec.pixels());
                while (true) {
                    boolean mine = minibatches.hasNext();
                    if (allReduce.sum(mine ? ONE : null, 0).count() == 0) break; // every worker has run out
                    // a worker with no minibatch left replays its last one without contributing, to apply the others' step
                    INDArray real = mine ? minibatches.next() : last;
                    gradients.contributes = mine;
                    steps.step(real);
                    last = real;
                }
                Result result = new Result(context.partitionId() == 0 ? GanState.of(gan) : null);
                return JavaConverters.asScalaIterator(List.of(result).iterator());
            } finally {
                gan.discriminator().setListeners();
                gan.generator().setListeners();
            }
        }
    }

    /** This executor thread's networks for this run, built once (building reseeds ND4J's random generator). */
    private GanModel network() {
        Map.Entry<String, GanModel> cached = CACHE.get();
        if (cached != null && cached.getKey().equals(runId)) return cached.getValue();
        GanModel gan = GanModel.create(spec);
        CACHE.set(Map.entry(runId, gan));
        return gan;
    }
}
