package latentdigits.train;

import org.apache.spark.BarrierTaskContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;

/**
 * Several epochs' averaging rounds inside one Spark barrier stage. DL4J's master runs each round as its own Spark
 * job, and a job costs ~10-20 ms here, more than the ~7 ms minibatch it wraps at F = 1; a stage per epoch still cost
 * ~35 ms an epoch (docs/design.md, "Twelfth round"). In this stage every task (one per partition, all running at once)
 * is a {@link ParameterAveragingTrainingWorker} that fits F minibatches, then all-reduces its parameters (and Adam
 * state, if averaged every round) with the other tasks; the last to arrive makes the next parameters from the sum —
 * the same averaged step as {@link AveragingTrainingMaster#processResults} — and every task loads them and carries on,
 * so all workers hold identical parameters after every round. When an epoch ends the workers also agree on Adam's
 * moments (their mean, if each kept its own) and step count, and partition 0 hands the network to the driver
 * ({@link EpochReports}), which scores, draws and checkpoints it before the next epoch starts, as between one-epoch
 * stages. The all-reduce is {@link StageAllReduce}. Each task seeds its own random stream (sampling noise) from the
 * epoch's seed and its partition, so a seeded run repeats, and gives the same numbers whatever the epochs per stage.
 */
final class BarrierRounds<T> extends StageTask<T> {

    /**
     * What partition 0 reports when an epoch ends: the network every worker then holds (parameters, Adam state, step
     * count), the epoch's averaging rounds and the mean loss of the last.
     */
    record EpochEnd(NetworkBytes network, int rounds, double score) implements Serializable {
        void applyTo(ComputationGraph net) {
            network.applyTo(net);
            if (rounds > 0) net.setScore(score);
        }
    }

    private final ParameterAveragingTrainingWorker worker;
    private final AveragingRounds averaging;
    private final TrainingShards.EpochCutter<T, MultiDataSet> epochs;

    /**
     * @param averaging  with the outer learning rate resolved
     * @param epochSeeds one per epoch of the stage: the workers' sampling noise
     */
    BarrierRounds(ParameterAveragingTrainingWorker worker, AveragingRounds averaging, String runId, long[] epochSeeds,
                  TrainingShards.EpochCutter<T, MultiDataSet> epochs, EpochReports.Address driver) {
        super(runId, epochSeeds, driver);
        this.worker = worker;
        this.averaging = averaging;
        this.epochs = epochs;
    }

    @Override
    Worker start(BarrierTaskContext context, StageAllReduce allReduce, List<T> contents) {
        return new Rounds(context, allReduce, contents);
    }

    /** One task's network and the arrays its rounds reuse. */
    private final class Rounds implements Worker {
        private final StageAllReduce allReduce;
        private final List<T> contents;
        private final int partitionId, tasks;
        private final ComputationGraph net;
        private final INDArray params, state;
        private final int nParams, ownState;
        private final boolean stateEachRound;
        private final float[] before, mine, epochEnd;
        private final StageAllReduce.Finish nextNetwork, agreeOnEpochEnd;
        private int rounds;
        private double score;

        Rounds(BarrierTaskContext context, StageAllReduce allReduce, List<T> contents) {
            this.allReduce = allReduce;
            this.contents = contents;
            this.partitionId = context.partitionId();
            this.tasks = context.getTaskInfos().length;
            this.net = worker.getInitialModelGraph();
            this.params = net.params();
            this.state = net.getUpdater().getStateViewArray();
            this.nParams = (int) params.length();
            int nState = state == null ? 0 : (int) state.length();
            this.stateEachRound = averaging.adamStateEachRound() && state != null;
            this.ownState = stateEachRound ? 0 : nState; // Adam's moments each worker keeps to itself through an epoch
            this.before = new float[nParams];
            this.mine = new float[nParams + (stateEachRound ? nState : 0)];
            this.epochEnd = new float[ownState + 2 * tasks];
            FloatArrays.read(params, before, 0);
            float eta = (float) averaging.outerLearningRate();
            // every task holds the same network before a round, so whichever task finishes the sum can make the next
            this.nextNetwork = (sum, count, from, to) -> {
                float inverse = 1f / count;
                for (int i = from; i < Math.min(to, nParams); i++) // new = old + eta * (mean - old), as the master does between jobs
                    sum[i] = before[i] + eta * (sum[i] * inverse - before[i]);
                StageAllReduce.Finish.MEAN.apply(sum, count, Math.max(from, nParams), to); // Adam's state: the mean
            };
            // the moments' mean; the step counts (one slot pair per task) stay a plain sum, i.e. each task's own
            this.agreeOnEpochEnd = (sum, count, from, to) -> StageAllReduce.Finish.MEAN.apply(sum, count, from, Math.min(to, ownState));
        }

        @Override
        public double trainEpoch(int index) {
            Iterator<MultiDataSet> batches = epochs.minibatches(contents, partitionId, index);
            rounds = 0;
            score = Double.NaN;
            long fitNanos = 0;
            while (true) {
                int fitted = 0;
                long start = System.nanoTime();
                for (; fitted < averaging.frequency() && batches.hasNext(); fitted++)
                    worker.processMinibatch(batches.next(), net, false);
                fitNanos += System.nanoTime() - start;
                StageAllReduce.Sum next;
                if (fitted > 0) {
                    FloatArrays.read(params, mine, 0);
                    if (stateEachRound) FloatArrays.read(state, mine, nParams);
                    next = allReduce.sum(mine, net.score(), nextNetwork);
                } else {
                    next = allReduce.sum(null, 0, nextNetwork); // still takes part, so the others' rounds complete
                }
                if (next.count() == 0) break; // every worker has run out of minibatches
                FloatArrays.write(next.values(), 0, params);
                if (stateEachRound) FloatArrays.write(next.values(), nParams, state);
                System.arraycopy(next.values(), 0, before, 0, nParams);
                score = next.score() / next.count();
                rounds++;
            }
            agreeOnEpochEnd(allReduce, net, state, ownState, epochEnd, partitionId, tasks, agreeOnEpochEnd);
            return fitNanos / 1e9;
        }

        @Override
        public Serializable networks() {
            return new EpochEnd(NetworkBytes.of(net), rounds, score);
        }
    }

    /**
     * The epoch's last all-reduce: Adam's moments become the workers' mean (if each kept its own) and the step count
     * the most any worker took (a partition that ran out early took fewer), as the driver made them between one-epoch
     * stages. Counts travel as two floats each (high and low 12 bits), exact to 2^36.
     */
    private static void agreeOnEpochEnd(StageAllReduce allReduce, ComputationGraph net, INDArray state, int ownState,
                                       float[] values, int partitionId, int tasks, StageAllReduce.Finish finish) {
        if (ownState > 0) FloatArrays.read(state, values, 0);
        java.util.Arrays.fill(values, ownState, values.length, 0f);
        int mySteps = net.getConfiguration().getIterationCount();
        values[ownState + 2 * partitionId] = mySteps >>> 12;
        values[ownState + 2 * partitionId + 1] = mySteps & 0xfff;
        float[] agreed = allReduce.sum(values, 0, finish).values();
        if (ownState > 0) FloatArrays.write(agreed, 0, state);
        int steps = 0;
        for (int t = 0; t < tasks; t++)
            steps = Math.max(steps, ((int) agreed[ownState + 2 * t] << 12) + (int) agreed[ownState + 2 * t + 1]);
        net.getConfiguration().setIterationCount(steps);
    }
}
