package latentdigits.model;

import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The re-parameterisation trick as a parameter-free graph vertex: input [B, 2k] = (mu, log sigma^2),
 * output z = mu + exp(logvar/2) * eps with eps ~ N(0, I) drawn afresh on every forward pass.
 * A plain vertex (not DL4J's VAE layer, which learns only through pretrain()) so the whole VAE trains through
 * ordinary fit(), in one JVM and on every Spark worker alike (docs/design.md).
 */
public class GaussianSampleVertex extends GraphVertex {
    /** Public no-arg constructor: DL4J's JSON serialisation needs it. */
    public GaussianSampleVertex() {
    }

    @Override
    public GaussianSampleVertex clone() {
        return new GaussianSampleVertex();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GaussianSampleVertex;
    }

    @Override
    public int hashCode() {
        return GaussianSampleVertex.class.getName().hashCode();
    }

    @Override
    public long numParams(boolean backprop) {
        return 0;
    }

    @Override
    public int minVertexInputs() {
        return 1;
    }

    @Override
    public int maxVertexInputs() {
        return 1;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                                                                      INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
        return new GaussianSampleVertexImpl(graph, name, idx, networkDatatype);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... vertexInputs) throws InvalidInputTypeException {
        InputType in = vertexInputs[0];
        if (!(in instanceof InputType.InputTypeFeedForward ff) || ff.getSize() % 2 != 0)
            throw new InvalidInputTypeException("GaussianSampleVertex: expected a feed-forward input of even size (mu, logvar), found " + in);
        return InputType.feedForward(ff.getSize() / 2);
    }

    @Override
    public MemoryReport getMemoryReport(InputType... inputTypes) {
        InputType out = getOutputType(-1, inputTypes);
        return new LayerMemoryReport.Builder(null, GaussianSampleVertex.class, inputTypes[0], out)
                .standardMemory(0, 0).workingMemory(0, 0, 0, 0).cacheMemory(0, 0).build();
    }
}
