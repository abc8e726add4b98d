package latentdigits.model;

import latentdigits.performance.FlushToZeroAdam;
import latentdigits.performance.BlasDenseLayer;
import latentdigits.performance.RationalTanh;
import static latentdigits.model.Layers.dense;

import latentdigits.data.DigitSource;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The study's GAN (section 3) as two DL4J graphs:
 * <pre>
 *   discriminator:   image (784) -> d1 (50, leaky) -> d2 (50, leaky) -> d_out (1, sigmoid) -> verdict (XENT)
 *   generator + D:   z (150) -> g1 (50, leaky) -> g2 (50, leaky) -> g_out (784, tanh) -> [d1 -> d2 -> d_out frozen] -> verdict
 * </pre>
 * G has the VAE decoder's shape with leaky ReLU and tanh ({@link RationalTanh}, a tanh the JIT vectorizes); D has the
 * VAE encoder's shape with one output. The leaky ReLUs' slope is 0.2 by default, not DL4J's 0.01: with 0.01 G's tanh
 * saturated and some seeds collapsed. In the second
 * graph every D layer is wrapped in {@link FrozenLayerWithBackprop} (with a NoOp updater, so it keeps no Adam state):
 * fitting it moves only G, through D's gradient. D's layers have the same names in both graphs, so its parameters
 * copy across by name after each D step.
 */
public final class GanNetworks {
    public static final String Z = "z";
    public static final String IMAGE = "image";
    public static final String GENERATED = "g_out";
    public static final String VERDICT = "verdict";
    private static final String[] DISCRIMINATOR_LAYERS = {"d1", "d2", "d_out"};

    private GanNetworks() {
    }

    /** Negative slope of every leaky ReLU in G and D, chosen by measurement (conf/train-gan.properties, docs/experiments/gan.md). */
    public static final double DEFAULT_LEAKY_SLOPE = 0.2;

    public record Spec(int latent, int hidden, int pixels, double learningRate, double beta1, long seed, double leakySlope)
            implements java.io.Serializable {
        public Spec(int latent, int hidden, int pixels, double learningRate, double beta1, long seed) {
            this(latent, hidden, pixels, learningRate, beta1, seed, DEFAULT_LEAKY_SLOPE);
        }

        public Spec {
            if (!(leakySlope >= 0 && leakySlope < 1))
                throw new IllegalArgumentException("--leaky-slope: expected 0 <= slope < 1, found " + leakySlope);
            if (latent < 1) throw new IllegalArgumentException("--latent: expected at least 1, found " + latent);
            if (hidden < 1) throw new IllegalArgumentException("--hidden: expected at least 1, found " + hidden);
            if (!(learningRate > 0)) throw new IllegalArgumentException("--learning-rate: expected > 0, found " + learningRate);
            if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("--beta1: expected 0 <= beta1 < 1, found " + beta1);
        }

        /** The study's sizes: latent 150, hidden 50, 784 pixels. */
        public static Spec study(double learningRate, double beta1, long seed) {
            return new Spec(150, 50, DigitSource.PIXELS, learningRate, beta1, seed);
        }
    }

    public static ComputationGraph discriminator(Spec spec) {
        GraphBuilder g = base(spec).addInputs(IMAGE);
        addDiscriminator(g, spec, IMAGE, false);
        g.setOutputs(VERDICT).setInputTypes(InputType.feedForward(spec.pixels()));
        return init(g);
    }

    public static ComputationGraph generatorWithFrozenDiscriminator(Spec spec) {
        GraphBuilder g = base(spec).addInputs(Z)
                .addLayer("g1", hidden(spec), Z)
                .addLayer("g2", hidden(spec), "g1")
                .addLayer(GENERATED, dense(spec.pixels(), new RationalTanh()), "g2");
        addDiscriminator(g, spec, GENERATED, true);
        g.setOutputs(VERDICT).setInputTypes(InputType.feedForward(spec.latent()));
        return init(g);
    }

    private static void addDiscriminator(GraphBuilder g, Spec spec, String input, boolean frozen) {
        g.addLayer("d1", maybeFrozen(hidden(spec), frozen), input)
                .addLayer("d2", maybeFrozen(hidden(spec), frozen), "d1")
                .addLayer("d_out", maybeFrozen(dense(1, Activation.SIGMOID), frozen), "d2")
                .addLayer(VERDICT, new LossLayer.Builder(LossFunctions.LossFunction.XENT).activation(Activation.IDENTITY).build(), "d_out");
    }

    /** Copies D's parameters between any two graphs holding D's layers: D itself and G's frozen copy, either way. */
    public static void copyDiscriminator(ComputationGraph from, ComputationGraph to) {
        for (String name : DISCRIMINATOR_LAYERS) to.getLayer(name).params().assign(from.getLayer(name).params());
    }

    private static Layer maybeFrozen(BlasDenseLayer layer, boolean frozen) {
        if (!frozen) return layer;
        layer.setIUpdater(new NoOp());
        layer.setFrozen(true);
        return new FrozenLayerWithBackprop(layer);
    }

    /** The slope a saved generator graph was built with (models saved before the setting used DL4J's 0.01). */
    static double leakySlope(ComputationGraph generator) {
        return ((ActivationLReLU) ((org.deeplearning4j.nn.conf.layers.BaseLayer) generator.getLayer("g1").conf().getLayer())
                .getActivationFn()).getAlpha();
    }

    /** A hidden layer of G or D: {@code hidden} units, leaky ReLU with the spec's slope. */
    private static BlasDenseLayer hidden(Spec spec) {
        return dense(spec.hidden(), new ActivationLReLU(spec.leakySlope()));
    }

    private static GraphBuilder base(Spec spec) {
        return new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .dataType(DataType.FLOAT)
                .updater(new FlushToZeroAdam(spec.learningRate(), spec.beta1(), Adam.DEFAULT_ADAM_BETA2_VAR_DECAY, Adam.DEFAULT_ADAM_EPSILON))
                .weightInit(WeightInit.XAVIER)
                .graphBuilder();
    }

    private static ComputationGraph init(GraphBuilder g) {
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        return graph;
    }
}
