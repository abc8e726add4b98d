package latentdigits.train;

import org.deeplearning4j.nn.graph.ComputationGraph;

import java.io.Serializable;

/** A network's parameters, Adam state and step count, as bytes: what a worker and the driver hand each other. */
record NetworkBytes(byte[] parameters, byte[] updaterState, int iterations) implements Serializable {

    static NetworkBytes of(ComputationGraph net) {
        return new NetworkBytes(FloatArrays.bytes(net.params()), FloatArrays.bytes(net.getUpdater().getStateViewArray()),
                net.getConfiguration().getIterationCount());
    }

    /** Loads these values into {@code net}, which has the same architecture. */
    void applyTo(ComputationGraph net) {
        FloatArrays.write(FloatArrays.fromBytes(parameters), 0, net.params());
        if (updaterState != null) FloatArrays.write(FloatArrays.fromBytes(updaterState), 0, net.getUpdater().getStateViewArray());
        net.getConfiguration().setIterationCount(iterations);
    }
}
