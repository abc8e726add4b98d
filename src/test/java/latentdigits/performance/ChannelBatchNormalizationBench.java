package latentdigits.performance;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Forward (training) and backprop of one batch normalisation layer on the CNN VAE's first map, [100, 8, 14, 14]
 * float: DL4J's layer against {@link ChannelBatchNormalization}. Not a test (surefire does not run it); run with
 * {@code OMP_NUM_THREADS=1 java -cp target/classes:target/test-classes:<dependencies>
 * latentdigits.performance.ChannelBatchNormalizationBench [iterations]}. Prints the time per forward+backward, wall
 * clock and this thread's CPU time (less sensitive to other processes on the machine), median and fastest of 5 rounds.
 */
public final class ChannelBatchNormalizationBench {
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder().initialSize(0)
            .overallocationLimit(0.2).policyLearning(LearningPolicy.FIRST_LOOP).policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE).policyAllocation(AllocationPolicy.OVERALLOCATE).build();

    private ChannelBatchNormalizationBench() {
    }

    public static void main(String[] args) {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.randn(DataType.FLOAT, 100, 8, 14, 14).muli(2).addi(0.5);
        INDArray epsilon = Nd4j.randn(DataType.FLOAT, 100, 8, 14, 14);
        Layer theirs = layer(new BatchNormalization.Builder().nIn(8).nOut(8).activation(Activation.LEAKYRELU).build());
        Layer ours = layer(new ChannelBatchNormalization.Builder().nIn(8).nOut(8).activation(Activation.LEAKYRELU).build());
        for (int round = 0; round < 3; round++) {
            // interleaved, so that a change in the machine's load falls on both
            System.out.printf("DL4J BatchNormalization      %s%n", time(theirs, x, epsilon, iterations));
            System.out.printf("ChannelBatchNormalization    %s%n", time(ours, x, epsilon, iterations));
        }
        if (!((ChannelBatchNormalization.Impl) ours).ownLastPass()) throw new IllegalStateException("not our own path");
    }

    private static Layer layer(BatchNormalization conf) {
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).layer(conf).build();
        long count = conf.initializer().numParams(nnc);
        Layer layer = conf.instantiate(nnc, null, 0, Nd4j.create(DataType.FLOAT, 1, count), true, DataType.FLOAT);
        layer.setBackpropGradientsViewArray(Nd4j.create(DataType.FLOAT, 1, count));
        return layer;
    }

    private static String time(Layer layer, INDArray x, INDArray epsilon, int iterations) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        // one workspace for each layer, so that neither's arrays are placed by the other's
        String workspace = "BN_BENCH_" + layer.getClass().getSimpleName();
        LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.builder().defaultWorkspace(workspace, WORKSPACE).build();
        for (int i = 0; i < iterations; i++) step(layer, x, epsilon, workspace, workspaces);
        int rounds = 5;
        double[] wall = new double[rounds], cpu = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long wallStart = System.nanoTime(), cpuStart = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < iterations; i++) step(layer, x, epsilon, workspace, workspaces);
            wall[r] = (System.nanoTime() - wallStart) / 1e6 / iterations;
            cpu[r] = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e6 / iterations;
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        return String.format("per forward+backward: median %.3f ms wall, %.3f ms cpu; fastest round %.3f ms wall, %.3f ms cpu"
                + " (%d rounds of %d)", wall[rounds / 2], cpu[rounds / 2], wall[0], cpu[0], rounds, iterations);
    }

    /** One forward and backward pass, in a workspace as in training (its memory is reused across steps). */
    private static void step(Layer layer, INDArray x, INDArray epsilon, String workspace, LayerWorkspaceMgr workspaces) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, workspace)) {
            layer.setInput(x, workspaces);
            layer.activate(true, workspaces);
            layer.backpropGradient(epsilon, workspaces);
        }
    }
}
