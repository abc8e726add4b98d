package latentdigits.train;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import org.apache.spark.TaskContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An all-reduce (sum) among the tasks of one Spark barrier stage, cheap enough to run after every minibatch.
 * <p>
 * Hierarchical: tasks in the same executor JVM (same address in {@link BarrierTaskContext#getTaskInfos()}) sum their
 * arrays in shared memory ({@link LocalSum}); when the stage spans several executors, one thread per executor then
 * exchanges that partial sum over TCP with the executor running partition 0 ({@link HubExchange}). Spark's own
 * {@link BarrierTaskContext#allGather} cannot carry the rounds: it polls for its answer once a second, so it is used
 * once per stage, only to tell the executors where the hub listens.
 * <p>
 * Sums are added in partition order whatever order the tasks arrive in, so a seeded run gives the same numbers again.
 */
final class StageAllReduce implements AutoCloseable {
    private static final Map<String, LocalSum> LOCAL_SUMS = new ConcurrentHashMap<>();

    private final TaskContext task;
    private final String key;
    private final LocalSum local;
    private final int rank;

    private StageAllReduce(TaskContext task, String key, LocalSum local, int rank) {
        this.task = task;
        this.key = key;
        this.local = local;
        this.rank = rank;
    }

    /** A round's sum over the tasks that contributed to it. */
    record Sum(float[] values, double score, int count) {
        static final Sum NONE = new Sum(null, 0, 0);

        Sum plus(Sum other) {
            if (other.count == 0) return this;
            if (count == 0) return other;
            float[] v = values.clone();
            for (int i = 0; i < v.length; i++) v[i] += other.values[i];
            return new Sum(v, score + other.score, count + other.count);
        }
    }

    /** This task's place in the stage's all-reduce; every task of the stage must join. */
    static StageAllReduce join(BarrierTaskContext context, String runId) {
        BarrierTaskInfo[] tasks = context.getTaskInfos(); // ordered by partition; address = the task's executor
        String here = tasks[context.partitionId()].address();
        int sameExecutor = 0, firstHere = -1, rank = 0;
        Set<String> executors = new HashSet<>();
        for (int t = 0; t < tasks.length; t++) {
            executors.add(tasks[t].address());
            if (tasks[t].address().equals(here)) {
                if (firstHere < 0) firstHere = t;
                if (t < context.partitionId()) rank++;
                sameExecutor++;
            }
        }
        int parties = sameExecutor;
        String key = runId + "/" + context.stageId() + "/" + context.stageAttemptNumber();
        LocalSum local = LOCAL_SUMS.computeIfAbsent(key, k -> new LocalSum(parties));
        if (executors.size() > 1) {
            boolean leader = context.partitionId() == firstHere, hub = here.equals(tasks[0].address());
            try {
                HubExchange.Server server = leader && hub ? new HubExchange.Server(executors.size() - 1, runId) : null;
                // every task must take part in allGather; only the hub's leader has something to say
                String[] said = context.allGather(server == null ? "" : HubExchange.host(here) + ":" + server.port());
                if (server != null) local.connect(server);
                else if (leader) local.connect(HubExchange.Client.connect(said[0], runId, firstHere));
            } catch (IOException e) {
                throw new UncheckedIOException("all-reduce: cannot reach the executor of partition 0 (" + tasks[0].address() + ")", e);
            }
        }
        return new StageAllReduce(context, key, local, rank);
    }

    /** A party of an all-reduce among threads of this JVM only (no Spark stage): for tests. */
    static StageAllReduce inThisJvm(LocalSum local, int rank) {
        return new StageAllReduce(null, "local", local, rank);
    }

    /** The sum over all tasks of this round's {@code values} (null: this task has nothing to add this round). */
    Sum sum(float[] values, double score) {
        return local.add(rank, values == null ? Sum.NONE : new Sum(values, score, 1), task);
    }

    @Override
    public void close() {
        if (local.leave() && task != null) LOCAL_SUMS.remove(key, local);
    }

    /**
     * Sums the arrays of the tasks running in this JVM, round by round: each task deposits its array and waits; the
     * last to arrive adds them up in rank order, completes the round across executors if connected, and wakes the
     * others, who read the shared result. Two accumulators alternate, so a round can start filling one while slower
     * tasks still read the other.
     */
    static final class LocalSum {
        private final int parties;
        private final Sum[] deposited;
        private final float[][] accumulators = new float[2][];
        private final Sum[] results = new Sum[2];
        private HubExchange acrossExecutors;
        private RuntimeException failure;
        private long generation;
        private int arrived;
        private int present;

        LocalSum(int parties) {
            this.parties = parties;
            this.present = parties;
            this.deposited = new Sum[parties];
        }

        synchronized void connect(HubExchange exchange) {
            acrossExecutors = exchange;
        }

        synchronized Sum add(int rank, Sum mine, TaskContext task) {
            if (failure != null) throw failure;
            long round = generation;
            int slot = (int) (round & 1);
            deposited[rank] = mine;
            if (++arrived == parties) {
                Sum total = addDeposits(slot);
                arrived = 0;
                try {
                    if (acrossExecutors != null) total = acrossExecutors.exchange(total);
                } catch (IOException e) {
                    failure = new UncheckedIOException("all-reduce: exchange with the other executors failed", e);
                } finally {
                    results[slot] = total;
                    generation++;
                    notifyAll();
                }
                if (failure != null) throw failure;
                return total;
            }
            while (generation == round) {
                try {
                    wait(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("all-reduce interrupted", e);
                }
                // when one task fails Spark kills the stage's others, but does not necessarily interrupt their threads
                if (task != null && task.isInterrupted())
                    throw new IllegalStateException("all-reduce abandoned: " + task.getKillReason().getOrElse(() -> "task killed"));
            }
            if (failure != null) throw failure;
            return results[slot];
        }

        private Sum addDeposits(int slot) {
            float[] acc = null;
            double score = 0;
            int count = 0;
            for (int r = 0; r < parties; r++) {
                Sum s = deposited[r];
                deposited[r] = null;
                if (s.count() == 0) continue;
                if (acc == null) {
                    acc = accumulators[slot];
                    if (acc == null || acc.length != s.values().length) acc = accumulators[slot] = new float[s.values().length];
                    System.arraycopy(s.values(), 0, acc, 0, acc.length);
                } else {
                    float[] v = s.values();
                    for (int i = 0; i < acc.length; i++) acc[i] += v[i];
                }
                score += s.score();
                count += s.count();
            }
            return count == 0 ? Sum.NONE : new Sum(acc, score, count);
        }

        /** True for the last task to leave; it closes the connection to the other executors. */
        synchronized boolean leave() {
            if (--present > 0) return false;
            if (acrossExecutors != null) acrossExecutors.close();
            return true;
        }
    }
}
