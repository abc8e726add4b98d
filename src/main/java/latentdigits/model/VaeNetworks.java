package latentdigits.model;

import latentdigits.performance.FlushToZeroAdam;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Builds a VAE as an ordinary ComputationGraph whose fit() minimises the negative ELBO:
 * <pre>
 *   image -> [encoder] -> moments -> GaussianSampleVertex -> z -> [decoder] -> logits -> reconstruction (sigmoid, Bernoulli XENT vs image)
 *                            \-> kl (identity, KL to N(0, I))
 * </pre>
 * DL4J sums the two outputs' scores, each averaged over the minibatch: exactly XENT + KL per image, as in the study.
 * The encoder-only and decoder-only graphs use the same layer names so parameters copy across by name.
 */
public final class VaeNetworks {
    public static final String IMAGE = "image";
    public static final String Z = "z";
    public static final String RECONSTRUCTION = "reconstruction";
    public static final String KL = "kl";

    private VaeNetworks() {
    }

    public record Spec(VaeArchitecture architecture, int latent, double learningRate, long seed, DataType dataType) {
        public Spec {
            if (latent < 1) throw new IllegalArgumentException("--latent: expected at least 1, found " + latent);
            if (!(learningRate > 0)) throw new IllegalArgumentException("--learning-rate: expected > 0, found " + learningRate);
        }
    }

    public static ComputationGraph full(Spec spec) {
        GraphBuilder g = base(spec).addInputs(IMAGE);
        spec.architecture().addEncoder(g, IMAGE, spec.latent());
        g.addVertex(Z, new GaussianSampleVertex(), VaeArchitecture.MOMENTS);
        spec.architecture().addDecoder(g, Z, spec.latent());
        g.addLayer(RECONSTRUCTION, reconstructionLoss(), VaeArchitecture.LOGITS)
                .addLayer(KL, klLoss(), VaeArchitecture.MOMENTS)
                .setOutputs(RECONSTRUCTION, KL)
                .setInputTypes(spec.architecture().imageInputType());
        return init(g.build());
    }

    /** image -> moments ([B, 2 * latent]): what the encode job runs. */
    public static ComputationGraph encoderOnly(Spec spec) {
        return snapshot(() -> {
            GraphBuilder g = base(spec).addInputs(IMAGE);
            spec.architecture().addEncoder(g, IMAGE, spec.latent());
            g.addLayer(KL, klLoss(), VaeArchitecture.MOMENTS)
                    .setOutputs(KL)
                    .setInputTypes(spec.architecture().imageInputType());
            return g.build();
        });
    }

    /** z -> pixel probabilities ([B, 784]): samples, grids and interpolations. */
    public static ComputationGraph decoderOnly(Spec spec) {
        return snapshot(() -> {
            GraphBuilder g = base(spec).addInputs(Z);
            spec.architecture().addDecoder(g, Z, spec.latent());
            g.addLayer(RECONSTRUCTION, reconstructionLoss(), VaeArchitecture.LOGITS)
                    .setOutputs(RECONSTRUCTION)
                    .setInputTypes(InputType.feedForward(spec.latent()));
            return g.build();
        });
    }

    /** Copies every parameter (batch-norm statistics included) of the layers {@code to} shares with {@code from}. */
    public static ComputationGraph copyParameters(ComputationGraph from, ComputationGraph to) {
        for (org.deeplearning4j.nn.api.Layer layer : to.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (layer.numParams() > 0) layer.setParams(from.getLayer(name).params().dup());
        }
        return to;
    }

    private static GraphBuilder base(Spec spec) {
        return new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .dataType(spec.dataType())
                .updater(new FlushToZeroAdam(spec.learningRate()))
                .weightInit(WeightInit.XAVIER)
                .graphBuilder();
    }

    /** Pixel probabilities out (sigmoid), Bernoulli cross entropy computed from the logits in. */
    static LossLayer reconstructionLoss() {
        return new LossLayer.Builder(new BernoulliLogitLoss()).activation(Activation.SIGMOID).build();
    }

    static LossLayer klLoss() {
        return new LossLayer.Builder(new KlToStandardNormalLoss()).activation(Activation.IDENTITY).build();
    }

    private static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    /**
     * A network whose parameters are about to be copied in from the full graph. Building a DL4J configuration with a
     * seed, and initialising the network, reseed this thread's random generator; done mid-run (at the first figure,
     * say), that would change the sampling noise of every later evaluation, and a resumed run, which builds it at
     * another epoch, would draw other noise. So the generator's state is put back.
     */
    private static ComputationGraph snapshot(java.util.function.Supplier<ComputationGraphConfiguration> configuration) {
        long root = Nd4j.getRandom().rootState(), node = Nd4j.getRandom().nodeState();
        try {
            return init(configuration.get());
        } finally {
            Nd4j.getRandom().setStates(root, node);
        }
    }
}
