package latentdigits.distributed;

import latentdigits.train.GraphStep;
import latentdigits.train.NetworkState;
import latentdigits.util.FloatArrays;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A task of a parameter-averaging stage ({@link ParameterAveraging}). Every task fits F minibatches of its partition,
 * then all-reduces its parameters with the other tasks; the last to arrive makes the next parameters from the sum,
 * {@code new = old + eta * (mean - old)}, and every task loads them and carries on, so all workers hold identical
 * parameters after every round. Adam's moments stay each worker's own through an epoch (a round carries a third of
 * the numbers, and four seeds ended lower than averaging them every round; docs/experiments/averaging.md); when the
 * epoch ends the workers agree on their mean and on the step count in one more all-reduce.
 */
final class ParameterAveragingTask<T> extends StageTask<T> {
    /** One network per executor thread and run, reused by the run's later stages. */
    private static final ThreadLocal<Map.Entry<String, ComputationGraph>> CACHE = new ThreadLocal<>();

    private final Broadcast<ComputationGraphConfiguration> configuration;
    private final Broadcast<NetworkState> start;
    private final int epochCount;
    private final AveragingSettings averaging;
    private final TrainingShards.EpochCutter<T, MultiDataSet> epochs;

    /**
     * @param start      the network every worker starts the stage from
     * @param averaging  with the outer learning rate resolved
     * @param epochSeeds one per epoch of the stage: the workers' sampling noise
     */
    ParameterAveragingTask(Broadcast<ComputationGraphConfiguration> configuration, Broadcast<NetworkState> start, int epochCount,
                           AveragingSettings averaging, String runId, long[] epochSeeds,
                           TrainingShards.EpochCutter<T, MultiDataSet> epochs, HandoverChannel.Address driver, LinkSecurity security,
                           long timeoutMillis) {
        super(runId, epochSeeds, driver, security, timeoutMillis);
        this.configuration = configuration;
        this.start = start;
        this.epochCount = epochCount;
        this.averaging = averaging;
        this.epochs = epochs;
    }

    @Override
    Worker start(BarrierTaskContext context, StageAllReduce allReduce, List<T> contents) {
        return new Rounds(context, allReduce, contents, network());
    }

    /** This thread's network for the run, loaded with the stage's starting state. */
    private ComputationGraph network() {
        NetworkState state = start.getValue();
        Map.Entry<String, ComputationGraph> cached = CACHE.get();
        ComputationGraph net;
        if (cached != null && cached.getKey().equals(runId)) {
            net = cached.getValue();
        } else {
            net = new ComputationGraph(configuration.getValue().clone());
            net.init(FloatArrays.row(state.parameters()), false);
            CACHE.set(Map.entry(runId, net));
        }
        state.applyTo(net);
        net.getConfiguration().setEpochCount(epochCount);
        return net;
    }

    /** One task's network and the arrays its rounds reuse. */
    private final class Rounds implements Worker {
        private final StageAllReduce allReduce;
        private final List<T> contents;
        private final int partitionId, tasks;
        private final ComputationGraph net;
        private final GraphStep step;
        private final INDArray params, state;
        private final int ownState;
        private final float[] before, mine, epochEnd;
        private final StageAllReduce.Finish nextNetwork, agreeOnEpochEnd;

        Rounds(BarrierTaskContext context, StageAllReduce allReduce, List<T> contents, ComputationGraph net) {
            this.allReduce = allReduce;
            this.contents = contents;
            this.partitionId = context.partitionId();
            this.tasks = context.getTaskInfos().length;
            this.net = net;
            this.step = GraphStep.of(net);
            this.params = net.params();
            this.state = net.getUpdater().getStateViewArray();
            int nParams = (int) params.length();
            this.ownState = state == null ? 0 : (int) state.length();
            this.before = new float[nParams];
            this.mine = new float[nParams];
            this.epochEnd = new float[ownState + 2 * tasks];
            FloatArrays.read(params, before, 0);
            float eta = (float) averaging.outerLearningRate();
            // every task holds the same network before a round, so whichever task finishes the sum can make the next
            this.nextNetwork = (sum, count, from, to) -> {
                float inverse = 1f / count;
                for (int i = from; i < to; i++) sum[i] = before[i] + eta * (sum[i] * inverse - before[i]);
            };
            // the moments' mean; the step counts (one slot pair per task) stay a plain sum, i.e. each task's own
            this.agreeOnEpochEnd = (sum, count, from, to) -> StageAllReduce.Finish.MEAN.apply(sum, count, from, Math.min(to, ownState));
        }

        @Override
        public double trainEpoch(int index) {
            Iterator<MultiDataSet> batches = epochs.minibatches(contents, partitionId, index);
            long fitNanos = 0;
            while (true) {
                int fitted = 0;
                long start = System.nanoTime();
                for (; fitted < averaging.frequency() && batches.hasNext(); fitted++) step.fit(batches.next());
                fitNanos += System.nanoTime() - start;
                StageAllReduce.Sum next;
                if (fitted > 0) {
                    FloatArrays.read(params, mine, 0);
                    next = allReduce.sum(mine, nextNetwork);
                } else {
                    next = allReduce.sum(null, nextNetwork); // still takes part, so the others' rounds complete
                }
                if (next.count() == 0) break; // every worker has run out of minibatches
                FloatArrays.write(next.values(), 0, params);
                System.arraycopy(next.values(), 0, before, 0, before.length);
            }
            agreeOnEpochEnd();
            return fitNanos / 1e9;
        }

        /**
         * The epoch's last all-reduce: Adam's moments become the workers' mean and the step count the most any worker
         * took (a partition that ran out early took fewer). Counts travel as two floats each (high and low 12 bits),
         * exact to 2^36.
         */
        private void agreeOnEpochEnd() {
            if (ownState > 0) FloatArrays.read(state, epochEnd, 0);
            java.util.Arrays.fill(epochEnd, ownState, epochEnd.length, 0f);
            int mySteps = net.getConfiguration().getIterationCount();
            epochEnd[ownState + 2 * partitionId] = mySteps >>> 12;
            epochEnd[ownState + 2 * partitionId + 1] = mySteps & 0xfff;
            float[] agreed = allReduce.sum(epochEnd, agreeOnEpochEnd).values();
            if (ownState > 0) FloatArrays.write(agreed, 0, state);
            int steps = 0;
            for (int t = 0; t < tasks; t++)
                steps = Math.max(steps, ((int) agreed[ownState + 2 * t] << 12) + (int) agreed[ownState + 2 * t + 1]);
            net.getConfiguration().setIterationCount(steps);
        }

        @Override
        public List<NetworkState> networks() {
            return List.of(NetworkState.of(net));
        }
    }
}
