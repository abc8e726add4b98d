package latentdigits.train;

import latentdigits.model.GanModel;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.io.Serializable;

/** Both players' parameters, Adam state and step counts, as bytes: what the driver and the workers hand each other. */
record GanState(byte[] generatorParams, byte[] generatorUpdater, int generatorSteps,
                byte[] discriminatorParams, byte[] discriminatorUpdater, int discriminatorSteps) implements Serializable {

    static GanState of(GanModel gan) {
        ComputationGraph g = gan.generator(), d = gan.discriminator();
        return new GanState(bytes(g.params()), bytes(g.getUpdater().getStateViewArray()), g.getConfiguration().getIterationCount(),
                bytes(d.params()), bytes(d.getUpdater().getStateViewArray()), d.getConfiguration().getIterationCount());
    }

    void applyTo(GanModel gan) {
        apply(gan.generator(), generatorParams, generatorUpdater, generatorSteps);
        apply(gan.discriminator(), discriminatorParams, discriminatorUpdater, discriminatorSteps);
    }

    private static void apply(ComputationGraph net, byte[] params, byte[] updater, int steps) {
        FloatArrays.write(FloatArrays.fromBytes(params), 0, net.params());
        if (updater != null) FloatArrays.write(FloatArrays.fromBytes(updater), 0, net.getUpdater().getStateViewArray());
        net.getConfiguration().setIterationCount(steps);
    }

    private static byte[] bytes(org.nd4j.linalg.api.ndarray.INDArray array) {
        return array == null ? null : FloatArrays.toBytes(AveragingTrainingMaster.floats(array));
    }
}
