package latentdigits.train;

import latentdigits.model.GanModel;

import java.io.Serializable;

/** Both players' parameters, Adam state and step counts: what the driver and the workers hand each other. */
record GanState(NetworkBytes generator, NetworkBytes discriminator) implements Serializable {

    static GanState of(GanModel gan) {
        return new GanState(NetworkBytes.of(gan.generator()), NetworkBytes.of(gan.discriminator()));
    }

    void applyTo(GanModel gan) {
        generator.applyTo(gan.generator());
        discriminator.applyTo(gan.discriminator());
    }
}
