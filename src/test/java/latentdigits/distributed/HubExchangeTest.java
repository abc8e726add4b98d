package latentdigits.distributed;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of the barrier all-reduce that do not need Spark: the JVM-local sum and the hub between executors. */
class HubExchangeTest {
    static final LinkSecurity SECURITY = new LinkSecurity(new byte[32], false, LinkSecurity.PortRange.parse("0", "ports"), 2000);

    /** Three "executors" (the hub and two peers) exchange partial sums for two rounds; all get the same total. */
    @Test
    void everyExecutorReceivesTheSumOfAllPartials() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (HubExchange.Server hub = new HubExchange.Server(2, 3, "all-reduce run-1", SECURITY, "127.0.0.1", 60_000)) {
            String address = "127.0.0.1:" + hub.port();
            List<Future<StageAllReduce.Sum[]>> answers = new ArrayList<>();
            answers.add(pool.submit(() -> twoRounds(hub, 1f)));
            for (float v : new float[]{10f, 100f})
                answers.add(pool.submit(() -> {
                    try (HubExchange.Client client = HubExchange.Client.connect(address, "all-reduce run-1", SECURITY, v == 10f ? 1 : 2, 60_000)) {
                        return twoRounds(client, v);
                    }
                }));
            for (Future<StageAllReduce.Sum[]> answer : answers) {
                StageAllReduce.Sum[] rounds = answer.get(30, TimeUnit.SECONDS);
                assertArrayEquals(new float[]{111f, 222f}, rounds[0].values());
                assertEquals(3, rounds[0].count());
                // second round: the peer with 100 had nothing to add
                assertArrayEquals(new float[]{11f, 22f}, rounds[1].values());
                assertEquals(2, rounds[1].count());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static StageAllReduce.Sum[] twoRounds(HubExchange exchange, float v) throws Exception {
        StageAllReduce.Sum first = exchange.exchange(new StageAllReduce.Sum(new float[]{v, 2 * v}, 1));
        StageAllReduce.Sum second = exchange.exchange(v == 100f ? StageAllReduce.Sum.NONE : new StageAllReduce.Sum(new float[]{v, 2 * v}, 1));
        return new StageAllReduce.Sum[]{first, second};
    }

    /** A task that never arrives (hung, or dead without Spark noticing yet) fails the round after the timeout, not never. */
    @Test
    void aTaskThatNeverArrivesFailsTheRoundAfterTheTimeout() {
        StageAllReduce.LocalSum local = new StageAllReduce.LocalSum(2, 1000);
        long start = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> local.add(0, new StageAllReduce.Sum(new float[]{1f}, 1), null));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds >= 0.9 && seconds < 5, "gave up after " + seconds + " s");
        assertTrue(e.getMessage().startsWith("all-reduce: waited 1 s for 1 of the stage's tasks"), e.getMessage());
    }

    /** An executor that connects to the hub and then hangs fails the hub's exchange after the timeout. */
    @Test
    void anExecutorThatHangsFailsTheHubAfterTheTimeout() throws Exception {
        try (HubExchange.Server hub = new HubExchange.Server(1, 2, "all-reduce run-3", SECURITY, "127.0.0.1", 1000);
             HubExchange.Client silent = HubExchange.Client.connect("127.0.0.1:" + hub.port(), "all-reduce run-3", SECURITY, 1, 1000)) {
            long start = System.nanoTime();
            assertThrows(java.net.SocketTimeoutException.class, () -> hub.exchange(new StageAllReduce.Sum(new float[]{1f}, 1)));
            assertTrue((System.nanoTime() - start) / 1e9 < 5);
        }
    }

    /** Threads of one JVM: every party gets the sum of the others' arrays, round after round. */
    @Test
    void tasksInOneJvmSumTheirArrays() throws Exception {
        StageAllReduce.LocalSum local = new StageAllReduce.LocalSum(3, 60_000);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                float v = t + 1;
                int rank = t;
                results.add(pool.submit(() -> {
                    float[] last = null;
                    for (int round = 0; round < 50; round++) {
                        StageAllReduce.Sum s = local.add(rank, new StageAllReduce.Sum(new float[]{v * round, v}, 1), null);
                        assertEquals(3, s.count());
                        assertArrayEquals(new float[]{6f * round, 6f}, s.values());
                        last = s.values().clone();
                    }
                    return last;
                }));
            }
            for (Future<float[]> r : results) assertArrayEquals(new float[]{6f * 49, 6f}, r.get(30, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The round's finishing step runs once per round, by one task, over every element exactly once (in cache-sized
     * chunks), on the complete sum, and everyone reads the finished values; arrays longer than a chunk included.
     */
    @Test
    void finishRunsOnceOverTheWholeSum() throws Exception {
        int n = 10_001, parties = 3;
        StageAllReduce.LocalSum local = new StageAllReduce.LocalSum(parties, 60_000);
        java.util.concurrent.atomic.AtomicIntegerArray finishedTimes = new java.util.concurrent.atomic.AtomicIntegerArray(n);
        StageAllReduce.Finish mean = (sum, count, from, to) -> {
            for (int i = from; i < to; i++) {
                sum[i] /= count;
                finishedTimes.incrementAndGet(i);
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(parties);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < parties; t++) {
                int rank = t;
                results.add(pool.submit(() -> {
                    float[] mine = new float[n];
                    for (int i = 0; i < n; i++) mine[i] = (rank + 1) * i; // mean over ranks: 2 i
                    StageAllReduce.Sum s = local.add(rank, new StageAllReduce.Sum(mine, 1), null, mean);
                    assertEquals(parties, s.count());
                    return s.values().clone();
                }));
            }
            float[] expected = new float[n];
            for (int i = 0; i < n; i++) expected[i] = 2f * i;
            for (Future<float[]> r : results) assertArrayEquals(expected, r.get(30, TimeUnit.SECONDS), 1e-3f);
            for (int i = 0; i < n; i++) assertEquals(1, finishedTimes.get(i), "element " + i + " finished");
        } finally {
            pool.shutdownNow();
        }
    }
}
