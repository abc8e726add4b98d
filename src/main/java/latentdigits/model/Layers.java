package latentdigits.model;

import latentdigits.performance.BlasDenseLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;

/** Layer builders shared by the networks of this package. */
final class Layers {
    private Layers() {
    }

    static BlasDenseLayer dense(int units, Activation activation) {
        return dense(units, activation.getActivationFunction());
    }

    static BlasDenseLayer dense(int units, IActivation activation) {
        return BlasDenseLayer.of(units, activation);
    }
}
