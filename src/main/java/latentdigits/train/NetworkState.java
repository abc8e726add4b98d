package latentdigits.train;

import latentdigits.util.FloatArrays;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * Everything a network carries from one step to the next: its parameters, its updater's state (Adam's moments) and
 * its step count. What the driver and the Spark workers hand each other, and what a checkpoint holds.
 *
 * @param updaterState null for a network without updater state
 */
public record NetworkState(float[] parameters, float[] updaterState, int iterations) implements Serializable {

    public static NetworkState of(ComputationGraph net) {
        return new NetworkState(FloatArrays.floats(net.params()), FloatArrays.floats(net.getUpdater().getStateViewArray()),
                net.getConfiguration().getIterationCount());
    }

    /** The states of several networks (a GAN's players), in the order given. */
    public static List<NetworkState> ofAll(ComputationGraph... nets) {
        return Arrays.stream(nets).map(NetworkState::of).toList();
    }

    /** Loads {@code states} into {@code nets}, in order: the inverse of {@link #ofAll}. */
    public static void applyAll(List<NetworkState> states, ComputationGraph... nets) {
        if (states.size() != nets.length)
            throw new IllegalArgumentException("expected the states of " + nets.length + " networks, found " + states.size());
        for (int i = 0; i < nets.length; i++) states.get(i).applyTo(nets[i]);
    }

    /** Loads these values into {@code net}, which has the same architecture. */
    public void applyTo(ComputationGraph net) {
        if (parameters.length != net.params().length())
            throw new IllegalArgumentException("network state of " + parameters.length + " parameters for a network of " + net.params().length());
        long stateLength = net.getUpdater().getStateViewArray() == null ? 0 : net.getUpdater().getStateViewArray().length();
        if (updaterState != null && updaterState.length != stateLength)
            throw new IllegalArgumentException("updater state of " + updaterState.length + " values for a network with " + stateLength);
        FloatArrays.write(parameters, 0, net.params());
        if (updaterState != null) FloatArrays.write(updaterState, 0, net.getUpdater().getStateViewArray());
        net.getConfiguration().setIterationCount(iterations);
    }
}
