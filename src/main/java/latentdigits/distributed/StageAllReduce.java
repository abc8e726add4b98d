package latentdigits.distributed;

import latentdigits.util.FloatArrays;
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
    record Sum(float[] values, int count) {
        static final Sum NONE = new Sum(null, 0);

        Sum plus(Sum other) {
            if (other.count == 0) return this;
            if (count == 0) return other;
            if (values.length != other.values.length)
                throw new IllegalStateException("all-reduce: arrays of " + values.length + " and " + other.values.length + " floats");
            float[] v = values.clone();
            FloatArrays.addInto(v, other.values);
            return new Sum(v, count + other.count);
        }
    }

    /**
     * This task's place in the stage's all-reduce; every task of the stage must join. The hub listens on its
     * executor's own address, and admits only executors that hold the run's secret ({@code security}).
     */
    static StageAllReduce join(BarrierTaskContext context, String runId, LinkSecurity security, long timeoutMillis) {
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
        LocalSum local = LOCAL_SUMS.computeIfAbsent(key, k -> new LocalSum(parties, timeoutMillis));
        if (executors.size() > 1) {
            boolean leader = context.partitionId() == firstHere, hub = here.equals(tasks[0].address());
            try {
                String purpose = "all-reduce " + key;
                HubExchange.Server server = leader && hub
                        ? new HubExchange.Server(executors.size() - 1, tasks.length, purpose, security, HubExchange.host(here), timeoutMillis) : null;
                // every task must take part in allGather; only the hub's leader has something to say
                String[] said = context.allGather(server == null ? "" : HubExchange.host(here) + ":" + server.port());
                if (server != null) local.connect(server);
                else if (leader) local.connect(HubExchange.Client.connect(said[0], purpose, security, firstHere, timeoutMillis));
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
    Sum sum(float[] values) {
        return sum(values, null);
    }

    /**
     * The same, with {@code finish} applied to the total in place before anyone reads it: what every task would
     * otherwise compute from the total on its own. The result is shared: read it, do not keep or modify it.
     */
    Sum sum(float[] values, Finish finish) {
        return local.add(rank, values == null ? Sum.NONE : new Sum(values, 1), task, finish);
    }

    /**
     * Turns elements [from, to) of a round's total, summed over {@code count} tasks, into what the tasks need (the
     * mean gradient, the next network), in place. Called once per round, by one task, chunk by chunk as the sum is
     * made, so each chunk is finished while it is still in the cache.
     */
    interface Finish {
        void apply(float[] total, int count, int from, int to);

        /** The mean over the tasks. */
        Finish MEAN = (total, count, from, to) -> {
            float inverse = 1f / count;
            for (int i = from; i < to; i++) total[i] *= inverse;
        };
    }

    @Override
    public void close() {
        if (local.leave() && task != null) LOCAL_SUMS.remove(key, local);
    }

    /**
     * Sums the arrays of the tasks running in this JVM, round by round: each task deposits its array and waits; the
     * last to arrive adds them up in rank order, completes the round across executors if connected, finishes it (see
     * {@link Finish}) and wakes the others, who read the shared result. Two accumulators alternate, so a round can
     * start filling one while slower tasks still read the other.
     */
    static final class LocalSum {
        private final int parties;
        private final Sum[] deposited;
        private final float[][] accumulators = new float[2][];
        private final Sum[] results = new Sum[2];
        private final long timeoutMillis;
        private HubExchange acrossExecutors;
        private RuntimeException failure;
        /** Rounds completed; read without the lock while a task spins for the next (see {@link #add}). */
        private volatile long generation;
        private int arrived;
        private int present;

        /** @param timeoutMillis how long a task waits for the others in a round before the stage is given up */
        LocalSum(int parties, long timeoutMillis) {
            this.parties = parties;
            this.present = parties;
            this.deposited = new Sum[parties];
            this.timeoutMillis = timeoutMillis;
        }

        synchronized void connect(HubExchange exchange) {
            acrossExecutors = exchange;
        }

        Sum add(int rank, Sum mine, TaskContext task) {
            return add(rank, mine, task, null);
        }

        Sum add(int rank, Sum mine, TaskContext task, Finish finish) {
            long round;
            synchronized (this) {
                if (failure != null) throw failure;
                round = generation;
                if (arrived + 1 == parties) return completeRound(rank, mine, finish, round);
                deposited[rank] = mine;
                arrived++;
            }
            // The last task usually completes the round within a fraction of a millisecond. Waiting for it on this core,
            // instead of blocking at once, keeps the core running: a blocked thread's idle virtual CPU takes tens of
            // microseconds to wake, every round.
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (generation == round && System.nanoTime() < spinUntil) Thread.onSpinWait();
            return awaitRound(round, task);
        }

        /** How long a task that is not the last to arrive spins for the round before it blocks. */
        private static final long SPIN_NANOS = 1_000_000;

        /** The last task's part: add the deposits up, finish the round and wake the others. */
        private synchronized Sum completeRound(int rank, Sum mine, Finish finish, long round) {
            int slot = (int) (round & 1);
            deposited[rank] = mine;
            arrived = 0;
            try {
                Sum total;
                if (acrossExecutors == null) {
                    total = addDeposits(slot, finish);
                } else { // the total is only known after the exchange
                    total = acrossExecutors.exchange(addDeposits(slot, null));
                    if (finish != null && total.count() > 0) finish.apply(total.values(), total.count(), 0, total.values().length);
                }
                results[slot] = total;
            } catch (IOException e) {
                failure = new UncheckedIOException("all-reduce: exchange with the other executors failed", e);
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                generation++;
                notifyAll();
            }
            if (failure != null) throw failure;
            return results[slot];
        }

        private synchronized Sum awaitRound(long round, TaskContext task) {
            int slot = (int) (round & 1);
            long deadline = System.currentTimeMillis() + timeoutMillis;
            while (generation == round) {
                if (failure != null) throw failure;
                if (System.currentTimeMillis() >= deadline) {
                    // a task that hangs (or died without Spark noticing yet) must not hold the others for ever
                    failure = new IllegalStateException("all-reduce: waited " + timeoutMillis / 1000 + " s for " + (parties - arrived)
                            + " of the stage's tasks in this executor (" + StagePlan.TIMEOUT_KEY + ")");
                    notifyAll();
                    throw failure;
                }
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

        /** Chunks small enough to stay in the L1 cache between their sum and their {@link Finish}. */
        private static final int CHUNK = 4096;

        private Sum addDeposits(int slot, Finish finish) {
            int count = 0, length = 0;
            for (Sum s : deposited) {
                if (s.count() == 0) continue;
                count += s.count();
                length = s.values().length;
            }
            Sum total = Sum.NONE;
            if (count > 0) {
                float[] acc = accumulators[slot];
                if (acc == null || acc.length != length) acc = accumulators[slot] = new float[length];
                for (int from = 0; from < length; from += CHUNK) {
                    int to = Math.min(length, from + CHUNK);
                    boolean first = true;
                    for (Sum s : deposited) { // rank order, so a seeded run repeats
                        if (s.count() == 0) continue;
                        float[] v = s.values();
                        if (first) System.arraycopy(v, from, acc, from, to - from);
                        else for (int i = from; i < to; i++) acc[i] += v[i];
                        first = false;
                    }
                    if (finish != null) finish.apply(acc, count, from, to);
                }
                total = new Sum(acc, count);
            }
            java.util.Arrays.fill(deposited, null);
            return total;
        }

        /** True for the last task to leave; it closes the connection to the other executors. */
        synchronized boolean leave() {
            if (--present > 0) return false;
            if (acrossExecutors != null) acrossExecutors.close();
            return true;
        }
    }
}
