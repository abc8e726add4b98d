package latentdigits.train;

import org.apache.spark.BarrierTaskContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;

/**
 * All of an epoch's averaging rounds inside one Spark barrier stage. DL4J's master runs each round as its own Spark
 * job, and a job costs ~10-20 ms here, more than the ~7 ms minibatch it wraps at F = 1. In this stage every task
 * (one per partition, all running at once) is a {@link ParameterAveragingTrainingWorker} that fits F minibatches,
 * then all-reduces its parameters (and Adam state, if averaged every round) with the other tasks; the last to arrive
 * makes the next parameters from the sum — the same averaged step as {@link AveragingTrainingMaster#processResults} —
 * and every task loads them and carries on, so all workers hold identical parameters after every round and the driver
 * only collects the final network (and, if Adam's moments are averaged per epoch, every worker's moments).
 * The all-reduce is {@link StageAllReduce}. Each task seeds its own random stream (sampling noise) from the run's
 * seed, the epoch and its partition, so a seeded run repeats.
 */
final class BarrierRounds extends AbstractFunction1<scala.collection.Iterator<MultiDataSet>, scala.collection.Iterator<BarrierRounds.WorkerResult>>
        implements Serializable {
    private final ParameterAveragingTrainingWorker worker;
    private final AveragingRounds averaging;
    private final String runId;
    private final long seed;

    /** @param averaging with the outer learning rate resolved */
    BarrierRounds(ParameterAveragingTrainingWorker worker, AveragingRounds averaging, String runId, long seed) {
        this.seed = seed;
        this.worker = worker;
        this.averaging = averaging;
        this.runId = runId;
    }

    /**
     * What a task hands back: the network (from partition 0 only; all hold the same parameters), its step count and
     * score, and, when Adam's moments are averaged per epoch, its own moments (every partition).
     */
    record WorkerResult(NetworkBytes network, int iterations, int rounds, double score, byte[] adamState) implements Serializable {
    }

    @Override
    public scala.collection.Iterator<WorkerResult> apply(scala.collection.Iterator<MultiDataSet> partition) {
        BarrierTaskContext context = BarrierTaskContext.get();
        Nd4j.getRandom().setSeed(seed + 1_000_003L * context.partitionId());
        Iterator<MultiDataSet> batches = JavaConverters.asJavaIterator(partition);
        try (StageAllReduce allReduce = StageAllReduce.join(context, runId)) {
            ComputationGraph net = worker.getInitialModelGraph();
            INDArray params = net.params();
            INDArray state = net.getUpdater().getStateViewArray();
            int nParams = (int) params.length(), nState = state == null ? 0 : (int) state.length();
            float[] before = new float[nParams];
            boolean stateEachRound = averaging.adamStateEachRound() && state != null;
            float[] mine = new float[nParams + (stateEachRound ? nState : 0)];
            FloatArrays.read(params, before, 0);
            float eta = (float) averaging.outerLearningRate();
            // every task holds the same network before a round, so whichever task finishes the sum can make the next
            StageAllReduce.Finish nextNetwork = (sum, count, from, to) -> {
                float inverse = 1f / count;
                for (int i = from; i < Math.min(to, nParams); i++) // new = old + eta * (mean - old), as the master does between jobs
                    sum[i] = before[i] + eta * (sum[i] * inverse - before[i]);
                StageAllReduce.Finish.MEAN.apply(sum, count, Math.max(from, nParams), to); // Adam's state: the mean
            };
            int rounds = 0;
            double score = Double.NaN;
            while (true) {
                int fitted = 0;
                for (; fitted < averaging.frequency() && batches.hasNext(); fitted++)
                    worker.processMinibatch(batches.next(), net, false);
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
            int iterations = net.getConfiguration().getIterationCount();
            boolean stateOnItsOwn = state != null && !stateEachRound;
            NetworkBytes network = context.partitionId() != 0 ? null : stateOnItsOwn ? NetworkBytes.parametersOf(net) : NetworkBytes.of(net);
            WorkerResult result = new WorkerResult(network, iterations, rounds, score, stateOnItsOwn ? FloatArrays.bytes(state) : null);
            return JavaConverters.asScalaIterator(List.of(result).iterator());
        }
    }
}
