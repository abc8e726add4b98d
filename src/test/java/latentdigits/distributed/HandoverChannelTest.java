package latentdigits.distributed;

import latentdigits.train.NetworkState;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The socket between a training stage's partition 0 and the driver, on loopback. */
class HandoverChannelTest {
    private static final LinkSecurity SECURITY = HubExchangeTest.SECURITY;
    private static final NetworkState G = new NetworkState(new float[]{1f, -2f, 3.5f}, new float[]{0.25f, 1e-39f}, 17);
    private static final NetworkState D = new NetworkState(new float[]{4f}, null, 3);

    @Test
    void handoversArriveWholeAndTheTaskWaitsForTheDriversAnswer() throws Exception {
        try (HandoverChannel.DriverEnd driver = new HandoverChannel.DriverEnd("127.0.0.1", "127.0.0.1", "run/1", SECURITY)) {
            HandoverChannel.Address otherStage = new HandoverChannel.Address("127.0.0.1", driver.address().port(), "run/0");
            assertThrows(java.io.IOException.class, () -> HandoverChannel.WorkerEnd.connect(otherStage, SECURITY), "another stage's task is refused");
            try (Socket stray = new Socket("127.0.0.1", driver.address().port())) { // and a connection that never speaks
                CompletableFuture<Boolean[]> task = CompletableFuture.supplyAsync(() -> {
                    try (HandoverChannel.WorkerEnd worker = HandoverChannel.WorkerEnd.connect(driver.address(), SECURITY)) {
                        worker.send(new TrainingStage.Handover(0, 0.9, List.of(G, D)));
                        boolean first = worker.awaitGo();
                        worker.send(new TrainingStage.Handover(1, 0.8, List.of(D)));
                        return new Boolean[]{first, worker.awaitGo()};
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                TrainingStage.Handover first = driver.next(() -> null);
                assertEquals(0, first.index());
                assertEquals(0.9, first.fitSeconds());
                assertEquals(2, first.networks().size());
                assertArrayEquals(G.parameters(), first.networks().get(0).parameters());
                assertArrayEquals(G.updaterState(), first.networks().get(0).updaterState());
                assertEquals(17, first.networks().get(0).iterations());
                assertNull(first.networks().get(1).updaterState());
                driver.proceed();
                TrainingStage.Handover second = driver.next(() -> null);
                assertEquals(1, second.index());
                assertArrayEquals(D.parameters(), second.networks().get(0).parameters());
                driver.stop();
                Boolean[] answers = task.get(10, TimeUnit.SECONDS);
                assertTrue(answers[0], "go after the first epoch");
                assertFalse(answers[1], "stop after the second");
            }
        }
    }

    @Test
    void aTaskThatEndsWithoutHandingOverSurfacesTheStagesFailure() throws Exception {
        try (HandoverChannel.DriverEnd driver = new HandoverChannel.DriverEnd("127.0.0.1", "127.0.0.1", "run/2", SECURITY)) {
            HandoverChannel.WorkerEnd.connect(driver.address(), SECURITY).close(); // partition 0 died before its first handover
            RuntimeException stageFailure = new IllegalStateException("task failed");
            AtomicReference<RuntimeException> failure = new AtomicReference<>();
            CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(() -> failure.set(stageFailure)); // Spark notices later
            assertSame(stageFailure, assertThrows(IllegalStateException.class, () -> driver.next(failure::get)));
        }
    }
}
