package latentdigits.performance;

import latentdigits.util.DirectBuffers;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.NoOpUpdater;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * What DL4J's optimizer ({@code StochasticGradientDescent}) does to a graph once its gradient is in the graph's
 * flattened gradient view, for steps that compute that gradient themselves ({@link DenseChain}): the listeners'
 * {@code onGradientCalculation} (where a Spark worker averages the gradient with the others'), the graph's updater
 * (division by the minibatch size, Adam), {@code params -= update}, {@code iterationDone}, and the step count.
 * <p>
 * When every updater block is {@link FlushToZeroAdam} or NoOp and nothing regularises or normalises gradients (the
 * study's networks), the division, Adam and the parameters' update are Java loops over each block's own elements, read
 * from and written to the graph's flat arrays ({@link FlushToZeroAdam.Updater#applyTo}): the same floats as DL4J's
 * updater and its step, which take two native passes and Adam's pass, each copying the arrays in and out. A NoOp
 * block whose gradient is all +0 (a frozen layer's) is left as it is, which is what {@code p - 0 / n} gives.
 * Otherwise DL4J's own updater runs.
 */
public final class OptimizerStep {
    private final ComputationGraph graph;
    private final Gradient gradient;
    /** The updater whose blocks are below (a graph given another updater is looked at again). */
    private ComputationGraphUpdater updater;
    /** The updater's blocks, when the one pass can do their work; null: DL4J's updater. */
    private List<Block> blocks;
    private float[] gradients, parameters;

    /** A run of parameters sharing one updater: Adam's, or none (NoOp: a frozen layer's, whose gradient stays 0). */
    private record Block(int from, int to, FlushToZeroAdam.Updater adam) {
    }

    private OptimizerStep(ComputationGraph graph, Gradient gradient) {
        this.graph = graph;
        this.gradient = gradient;
    }

    /** The update of {@code graph}, whose trained layers are all in {@code chains} (frozen layers may be too). */
    public static OptimizerStep forChains(ComputationGraph graph, List<DenseChain> chains) {
        if (graph.getFlattenedGradients() == null) graph.initGradientsView();
        Gradient gradient = new DefaultGradient(graph.getFlattenedGradients());
        for (DenseChain chain : chains) chain.gradientViews().forEach(gradient::setGradientFor);
        return new OptimizerStep(graph, gradient);
    }

    /** Whether the update is the one Java pass (else DL4J's updater). */
    public boolean onePass() {
        if (graph.getUpdater() != updater) {
            updater = graph.getUpdater();
            blocks = onePassBlocks(graph);
        }
        return blocks != null;
    }

    public void apply(int batchSize) {
        for (TrainingListener listener : graph.getListeners()) listener.onGradientCalculation(graph);
        var conf = graph.getConfiguration();
        int iteration = conf.getIterationCount(), epoch = conf.getEpochCount();
        if (onePass()) {
            onePass(batchSize, iteration, epoch);
        } else {
            graph.getUpdater().update(gradient, iteration, epoch, batchSize, LayerWorkspaceMgr.noWorkspaces());
            graph.params().subi(graph.getFlattenedGradients());
        }
        for (TrainingListener listener : graph.getListeners()) listener.iterationDone(graph, iteration, epoch);
        conf.setIterationCount(iteration + 1);
    }

    private void onePass(int batchSize, int iteration, int epoch) {
        FloatBuffer g = DirectBuffers.floats(graph.getFlattenedGradients()), p = DirectBuffers.floats(graph.params());
        float divisor = batchSize;
        for (Block block : blocks) {
            if (block.adam() != null) {
                block.adam().applyTo(g, p, block.from(), divisor, iteration, epoch);
                continue;
            }
            int n = block.to() - block.from();
            if (gradients == null || gradients.length < n) {
                gradients = new float[n];
                parameters = new float[n];
            }
            g.get(block.from(), gradients, 0, n);
            if (allPositiveZero(gradients, n)) continue; // a frozen layer's: p - (+0 / divisor) is p, bit for bit
            p.get(block.from(), parameters, 0, n);
            for (int i = 0; i < n; i++) parameters[i] -= gradients[i] / divisor;
            p.put(block.from(), parameters, 0, n);
        }
    }

    private static boolean allPositiveZero(float[] values, int n) {
        int bits = 0;
        for (int i = 0; i < n; i++) bits |= Float.floatToRawIntBits(values[i]);
        return bits == 0;
    }

    /** The updater's blocks if the one pass can stand in for DL4J's updater on this graph, else null. */
    private static List<Block> onePassBlocks(ComputationGraph graph) {
        INDArray p = graph.params(), g = graph.getFlattenedGradients();
        if (p.dataType() != DataType.FLOAT || g == null || g.dataType() != DataType.FLOAT || !DirectBuffers.contiguous(p)
                || !DirectBuffers.contiguous(g) || !graph.getConfiguration().getDefaultConfiguration().isMiniBatch())
            return null;
        ComputationGraphUpdater updater = graph.getUpdater();
        List<Block> blocks = new ArrayList<>();
        int expectedStart = 0;
        for (UpdaterBlock block : updater.getUpdaterBlocks()) {
            for (UpdaterBlock.ParamState state : block.getLayersAndVariablesInBlock()) {
                Trainable layer = state.getLayer();
                var regularization = layer.getConfig().getRegularizationByParam(state.getParamName());
                GradientNormalization normalization = layer.getConfig().getGradientNormalization();
                if ((regularization != null && !regularization.isEmpty())
                        || (normalization != null && normalization != GradientNormalization.None))
                    return null;
            }
            if (block.getParamOffsetStart() != expectedStart) return null;
            expectedStart = block.getParamOffsetEnd();
            var updaterOfBlock = block.getGradientUpdater();
            if (updaterOfBlock instanceof FlushToZeroAdam.Updater adam && adam.holdsFloatMoments())
                blocks.add(new Block(block.getParamOffsetStart(), block.getParamOffsetEnd(), adam));
            else if (updaterOfBlock instanceof NoOpUpdater)
                blocks.add(new Block(block.getParamOffsetStart(), block.getParamOffsetEnd(), null));
            else
                return null;
        }
        return expectedStart == p.length() ? blocks : null;
    }
}
