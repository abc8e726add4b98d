package latentdigits.model;

import latentdigits.performance.DenseChain;
import latentdigits.performance.OptimizerStep;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.activations.IActivation;

import java.util.List;

/**
 * The GAN's three passes of a step, G's forward and the two players' fit, computed outside DL4J's graphs: D, G and
 * G's frozen copy of D run as {@link DenseChain}s, the verdict's loss gradient by the graphs' own loss function, the
 * update as DL4J's optimizer makes it ({@link OptimizerStep}, which also runs the graphs' listeners, so a Spark worker
 * averages the gradients as inside {@code fit}). Every float is the one the graphs compute ({@code GanStepsTest}).
 */
public final class DenseGan {
    private final ComputationGraph discriminator, generator;
    private final DenseChain d, g, frozenD;
    private final Verdict discriminatorVerdict, generatorVerdict;
    private final OptimizerStep discriminatorUpdate, generatorUpdate;

    /** The loss layer at the end of a graph: its loss function and activation, as DL4J's LossLayer applies them. */
    private record Verdict(ILossFunction loss, IActivation activation) {
        static Verdict of(ComputationGraph graph) {
            if (!(graph.getLayer(GanNetworks.VERDICT).conf().getLayer() instanceof LossLayer layer)) return null;
            return new Verdict(layer.getLossFn(), layer.getActivationFn());
        }

        INDArray gradient(INDArray labels, INDArray output) {
            return loss.computeGradient(labels, output, activation, null);
        }
    }

    private DenseGan(GanModel gan, DenseChain d, DenseChain g, DenseChain frozenD, Verdict dVerdict, Verdict gVerdict) {
        this.discriminator = gan.discriminator();
        this.generator = gan.generator();
        this.d = d;
        this.g = g;
        this.frozenD = frozenD;
        this.discriminatorVerdict = dVerdict;
        this.generatorVerdict = gVerdict;
        this.discriminatorUpdate = OptimizerStep.forChains(discriminator, List.of(d));
        this.generatorUpdate = OptimizerStep.forChains(generator, List.of(g, frozenD));
    }

    /** The passes for {@code gan} when its graphs are chains of dense layers as {@link GanNetworks} builds them; null otherwise. */
    public static DenseGan of(GanModel gan) {
        ComputationGraph dGraph = gan.discriminator(), gGraph = gan.generator();
        DenseChain d = DenseChain.of(dGraph, GanNetworks.IMAGE, "d_out");
        DenseChain g = DenseChain.of(gGraph, GanNetworks.Z, GanNetworks.GENERATED);
        DenseChain frozenD = DenseChain.of(gGraph, GanNetworks.GENERATED, "d_out");
        Verdict dVerdict = Verdict.of(dGraph), gVerdict = Verdict.of(gGraph);
        if (d == null || g == null || frozenD == null || dVerdict == null || gVerdict == null
                || !List.of("d_out").equals(dGraph.getConfiguration().getVertexInputs().get(GanNetworks.VERDICT))
                || !List.of("d_out").equals(gGraph.getConfiguration().getVertexInputs().get(GanNetworks.VERDICT))
                || d.parameterCount() != dGraph.numParams() || g.parameterCount() + frozenD.parameterCount() != gGraph.numParams())
            return null;
        return new DenseGan(gan, d, g, frozenD, dVerdict, gVerdict);
    }

    /** Whether both players' updates are {@link OptimizerStep}'s one pass (the study's networks: they are). */
    public boolean updatesInOnePass() {
        return discriminatorUpdate.onePass() && generatorUpdate.onePass();
    }

    /** G(z), as {@link GanModel#generate}; the array is reused by the next pass through G. */
    public INDArray generate(INDArray z) {
        return g.forward(z);
    }

    /** What {@code discriminator.fit(images, labels)} does, but for the score, which is not computed. */
    public void fitDiscriminator(INDArray images, INDArray labels) {
        INDArray verdicts = d.forward(images);
        d.backward(discriminatorVerdict.gradient(labels, verdicts), false);
        discriminatorUpdate.apply((int) images.size(0));
    }

    /** What {@code generator.fit(z, labels)} does (G learns through its frozen copy of D), but for the score. */
    public void fitGenerator(INDArray z, INDArray labels) {
        INDArray verdicts = frozenD.forward(g.forward(z));
        g.backward(frozenD.backward(generatorVerdict.gradient(labels, verdicts), true), false);
        generatorUpdate.apply((int) z.size(0));
    }
}
