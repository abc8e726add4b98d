package latentdigits.train;

import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The socket between a training stage's partition 0 and the driver, on loopback. */
class EpochReportsTest {

    @Test
    void reportsArriveWholeAndTheTaskWaitsForTheDriversAnswer() throws Exception {
        try (EpochReports.Listener driver = new EpochReports.Listener("127.0.0.1", "run/1")) {
            try (Socket stray = new Socket("127.0.0.1", driver.address().port())) { // another stage's task, say
                new java.io.DataOutputStream(stray.getOutputStream()).writeUTF("run/0");
                CompletableFuture<Boolean[]> task = CompletableFuture.supplyAsync(() -> {
                    try (EpochReports.Reporter reporter = EpochReports.Reporter.connect(driver.address())) {
                        reporter.send(new EpochReports.EpochReport(0, 0.9, new byte[]{1, -2, 3}));
                        boolean first = reporter.awaitGo();
                        reporter.send(new EpochReports.EpochReport(1, 0.8, new byte[0]));
                        return new Boolean[]{first, reporter.awaitGo()};
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                EpochReports.EpochReport first = driver.next(() -> null);
                assertEquals(0, first.index());
                assertEquals(0.9, first.fitSeconds());
                assertArrayEquals(new byte[]{1, -2, 3}, first.networks());
                driver.proceed();
                EpochReports.EpochReport second = driver.next(() -> null);
                assertEquals(1, second.index());
                assertEquals(0, second.networks().length);
                driver.stop();
                Boolean[] answers = task.get(10, TimeUnit.SECONDS);
                assertTrue(answers[0], "go after the first epoch");
                assertFalse(answers[1], "stop after the second");
            }
        }
    }

    @Test
    void aTaskThatEndsWithoutReportingSurfacesTheStagesFailure() throws Exception {
        try (EpochReports.Listener driver = new EpochReports.Listener("127.0.0.1", "run/2")) {
            EpochReports.Reporter.connect(driver.address()).close(); // partition 0 died before its first report
            RuntimeException stageFailure = new IllegalStateException("task failed");
            AtomicReference<RuntimeException> failure = new AtomicReference<>();
            CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(() -> failure.set(stageFailure)); // Spark notices later
            assertSame(stageFailure, assertThrows(IllegalStateException.class, () -> driver.next(failure::get)));
        }
    }
}
