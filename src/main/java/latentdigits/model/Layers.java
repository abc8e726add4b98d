package latentdigits.model;

import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;

/** Layer builders shared by the networks of this package. */
final class Layers {
    private Layers() {
    }

    static DenseLayer dense(int units, Activation activation) {
        return dense(units, activation.getActivationFunction());
    }

    static DenseLayer dense(int units, IActivation activation) {
        return new DenseLayer.Builder().nOut(units).activation(activation).build();
    }
}
