package latentdigits.performance;

import latentdigits.util.DirectBuffers;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What {@link GemmConvolutionLayer} and {@link GemmDeconvolutionLayer} share: when they may take their own path, the
 * arrays they keep across minibatches, and the activation with its pre-activation kept for backprop (as
 * {@link BlasDenseLayer} keeps it: DL4J's convolution layers compute the whole forward pass again in backprop).
 */
final class LoweredConvolution {
    private final Map<String, INDArray> scratch = new HashMap<>();
    private INDArray preActivation;
    private INDArray forwardInput;
    /** What the weight gradient reads from the last training forward pass (a column matrix, a channel-major input). */
    private INDArray forGradient;
    private boolean lastPassLowered;

    /** Starts a forward pass: forgets the last one; returns {@code lowerable}, whether this one takes the lowered path. */
    boolean begin(boolean lowerable) {
        forget();
        lastPassLowered = lowerable;
        return lowerable;
    }

    /** Whether the last forward pass took the lowered path (not DL4J's). */
    boolean lastPassLowered() {
        return lastPassLowered;
    }

    /**
     * Whether a layer configured this way, on this input, is what the lowered path computes: NCHW, no dilation, no
     * "Same" padding, a bias, no dropout, weight noise or mask, float or double; anything else runs DL4J's code.
     */
    static boolean handles(ConvolutionLayer conf, INDArray input, INDArray mask, DataType type) {
        return conf.getIDropout() == null && conf.getWeightNoise() == null && mask == null && input != null
                && input.rank() == 4 && input.size(1) == conf.getNIn() && conf.hasBias()
                && conf.getCnn2dDataFormat() == CNN2DFormat.NCHW && conf.getConvolutionMode() != ConvolutionMode.Same
                && Arrays.stream(conf.getDilation()).allMatch(d -> d == 1)
                && (type == DataType.FLOAT || type == DataType.DOUBLE);
    }

    /** The input as this layer's type, dense in C order (what the gathers index). */
    static INDArray dense(INDArray x, DataType type) {
        INDArray typed = x.castTo(type);
        boolean plain = typed.ordering() == 'c' && DirectBuffers.contiguous(typed);
        return plain ? typed : typed.dup('c');
    }

    /** A 4-D weight array [a, b, k, k] as the [a, b * k * k] matrix it is in C order (a view). */
    static INDArray matrix(INDArray weights) {
        return weights.reshape('c', weights.size(0), weights.size(1) * weights.size(2) * weights.size(3));
    }

    /** A [rows, columns] C-order array kept by this layer across minibatches, outside DL4J's workspaces. */
    INDArray kept(String name, DataType type, long rows, long columns) {
        INDArray array = scratch.get(name);
        if (array == null || array.dataType() != type || array.size(0) != rows || array.size(1) != columns) {
            try (MemoryWorkspace outside = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                array = Nd4j.createUninitialized(type, new long[]{rows, columns}, 'c');
            }
            scratch.put(name, array);
        }
        return array;
    }

    /** A [1, length] row of ones (for a bias as a rank-one product, and its gradient as a product with ones). */
    INDArray ones(DataType type, long length) {
        INDArray array = scratch.get("ones");
        if (array == null || array.dataType() != type || array.size(1) != length) {
            try (MemoryWorkspace outside = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                array = Nd4j.ones(type, 1, length);
            }
            scratch.put("ones", array);
        }
        return array;
    }

    /**
     * Applies the activation to the pre-activation {@code z}; in training keeps what backprop needs, with
     * {@code forGradient}, what the weight gradient will read.
     */
    INDArray activate(IActivation activation, INDArray z, INDArray input, INDArray forGradient, boolean training,
                      LayerWorkspaceMgr workspaceMgr) {
        preActivation = null;
        forwardInput = training ? input : null;
        this.forGradient = training ? forGradient : null;
        if (activation instanceof ActivationIdentity) return z;
        if (!training) return ElementwiseActivations.activate(activation, z, false);
        preActivation = z;
        return ElementwiseActivations.activate(activation, z, workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, z.dataType(), z.shape(), 'c'), true);
    }

    /** Whether the last forward pass was a training pass on this very input. */
    boolean trainedOn(INDArray input) {
        return forwardInput != null && forwardInput == input;
    }

    /** What the last training forward pass kept for the weight gradient. */
    INDArray forGradient() {
        return forGradient;
    }

    /** dL/d(pre-activation), dense in C order; forgets the forward pass. */
    INDArray delta(IActivation activation, INDArray epsilon, DataType type) {
        INDArray delta = preActivation == null ? epsilon : ElementwiseActivations.backprop(activation, preActivation, epsilon);
        forget();
        return dense(delta, type);
    }

    void forget() {
        preActivation = null;
        forwardInput = null;
        forGradient = null;
    }
}
