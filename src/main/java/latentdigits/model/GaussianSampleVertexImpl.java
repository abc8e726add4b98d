package latentdigits.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.BaseGraphVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.GaussianDistribution;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.function.LongFunction;

/**
 * Forward: z = mu + sigma * eps, sigma = exp(logvar / 2). Backward: dL/dmu = dL/dz, dL/dlogvar = dL/dz * eps * sigma / 2.
 * sigma*eps is kept from the forward pass (in the activations workspace, alive until backprop ends) for the backward pass.
 */
public class GaussianSampleVertexImpl extends BaseGraphVertex {
    /** Gradient checks need a repeatable forward pass; production code never sets this. */
    static volatile LongFunction<INDArray> fixedNoiseForTests;
    /** Noise drawn ahead for this thread's next forward pass ({@link #withNoise}), or null: draw it then. */
    private static final ThreadLocal<INDArray> GIVEN_NOISE = new ThreadLocal<>();

    private INDArray sigmaEps;

    public GaussianSampleVertexImpl(ComputationGraph graph, String name, int vertexIndex, DataType dataType) {
        super(graph, name, vertexIndex, null, null, dataType);
    }

    @Override
    public boolean hasLayer() {
        return false;
    }

    @Override
    public Layer getLayer() {
        return null;
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (!canDoForward())
            throw new IllegalStateException("GaussianSampleVertex " + vertexName + ": inputs not set");
        INDArray moments = inputs[0];
        long batch = moments.size(0);
        long k = moments.size(1) / 2;
        INDArray mu = moments.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k));
        INDArray logvar = moments.get(NDArrayIndex.all(), NDArrayIndex.interval(k, 2 * k));
        INDArray eps = noise(workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, moments.dataType(), batch, k));
        sigmaEps = eps.muli(Transforms.exp(logvar.mul(0.5), false));
        INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, moments.dataType(), batch, k);
        return z.assign(mu).addi(sigmaEps);
    }

    /**
     * Fills {@code eps} ([batch, latent]) with a forward pass's noise: the noise given by {@link #withNoise}, else the
     * tests' fixed noise, else fresh N(0, 1) from this thread's random stream.
     */
    static INDArray noise(INDArray eps) {
        long batch = eps.size(0), k = eps.size(1);
        LongFunction<INDArray> fixed = fixedNoiseForTests;
        INDArray given = GIVEN_NOISE.get();
        if (given != null) {
            if (given.rows() != batch || given.columns() != k)
                throw new IllegalStateException("GaussianSampleVertex: noise drawn for " + given.rows() + " x " + given.columns()
                        + ", the pass has " + batch + " x " + k);
            return eps.assign(given);
        }
        if (fixed != null) return eps.assign(fixed.apply(batch * k).reshape(batch, k));
        return drawNoise(eps);
    }

    /** Fills {@code eps} with N(0, 1) from this thread's random stream, as a forward pass does. */
    static INDArray drawNoise(INDArray eps) {
        Nd4j.getExecutioner().exec(new GaussianDistribution(eps, 0.0, 1.0));
        return eps;
    }

    /**
     * Runs {@code pass} with {@code noise} as the noise of its forward pass (one pass of noise.rows() images), instead
     * of drawing from this thread's random stream: noise drawn on one thread lets another thread repeat that thread's
     * pass exactly.
     */
    static <T> T withNoise(INDArray noise, java.util.function.Supplier<T> pass) {
        GIVEN_NOISE.set(noise);
        try {
            return pass.get();
        } finally {
            GIVEN_NOISE.remove();
        }
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        if (!canDoBackward())
            throw new IllegalStateException("GaussianSampleVertex " + vertexName + ": errors not set");
        long batch = epsilon.size(0);
        long k = epsilon.size(1);
        INDArray grad = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, epsilon.dataType(), batch, 2 * k);
        grad.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k)).assign(epsilon);
        grad.get(NDArrayIndex.all(), NDArrayIndex.interval(k, 2 * k)).assign(epsilon.mul(sigmaEps).muli(0.5));
        return new Pair<>(null, new INDArray[]{grad});
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray backpropGradientsViewArray) {
        if (backpropGradientsViewArray != null)
            throw new IllegalStateException("GaussianSampleVertex has no parameters");
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArrays(INDArray[] maskArrays, MaskState currentMaskState, int minibatchSize) {
        if (maskArrays == null || maskArrays.length == 0) return null;
        return new Pair<>(maskArrays[0], currentMaskState);
    }

    @Override
    public void clear() {
        super.clear();
        sigmaEps = null;
    }

    @Override
    public String toString() {
        return "GaussianSampleVertex(id=" + vertexIndex + ",name=\"" + vertexName + "\")";
    }
}
