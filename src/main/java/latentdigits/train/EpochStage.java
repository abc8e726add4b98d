package latentdigits.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The driver's side of one barrier stage training several epochs ({@link BarrierRounds}): the Spark job runs in a
 * background thread while {@link #next} hands the driver's network each epoch's result in turn, and lets the stage go
 * on to the next epoch only when asked for it, so the driver's per-epoch work (scores, figures, checkpoint) sees every
 * epoch's network and does not compete with training for cores.
 */
final class EpochStage implements AutoCloseable {
    private final JavaSparkContext jsc;
    private final EpochReports.Listener listener;
    private final String jobGroup;
    private final int epochs;
    private final CompletableFuture<Void> job;
    private int delivered;
    private boolean owesGo;

    /** What the driver learnt from an epoch. */
    record Epoch(int rounds, double workerFitSeconds) {
    }

    <T> EpochStage(JavaSparkContext jsc, JavaRDD<T> data, String stageKey, int epochs,
                   java.util.function.Function<EpochReports.Address, BarrierRounds<T>> rounds) {
        this.jsc = jsc;
        this.epochs = epochs;
        this.jobGroup = "latent-digits training " + stageKey;
        try {
            this.listener = new EpochReports.Listener(jsc.getConf().get("spark.driver.host", "localhost"), stageKey);
        } catch (IOException e) {
            throw new UncheckedIOException("training stage: cannot open a port on the driver for the workers' reports", e);
        }
        BarrierRounds<T> function = rounds.apply(listener.address());
        this.job = CompletableFuture.runAsync(() -> {
            jsc.setJobGroup(jobGroup, "training epochs (" + stageKey + ")", true);
            data.rdd().barrier().mapPartitions(function, false, scala.reflect.ClassTag$.MODULE$.apply(Integer.class)).count();
        }, runnable -> {
            Thread thread = new Thread(runnable, "training-stage");
            thread.setDaemon(true);
            thread.start();
        });
    }

    boolean finished() {
        return delivered == epochs;
    }

    /** Waits for the stage's next epoch and loads its network (parameters, Adam state, step count, score) into {@code net}. */
    Epoch next(ComputationGraph net) {
        if (finished()) throw new IllegalStateException("the stage's " + epochs + " epochs are all delivered");
        try {
            if (owesGo) listener.proceed();
            owesGo = false;
            EpochReports.EpochReport report = listener.next(this::failure);
            if (report.index() != delivered)
                throw new IllegalStateException("training stage: expected epoch " + delivered + " of the stage, received " + report.index());
            FloatArrays.write(report.parameters(), 0, net.params());
            if (report.updaterState() != null) FloatArrays.write(report.updaterState(), 0, net.getUpdater().getStateViewArray());
            net.getConfiguration().setIterationCount(report.iterations());
            if (report.rounds() > 0) net.setScore(report.score());
            delivered++;
            owesGo = !finished();
            return new Epoch(report.rounds(), report.fitSeconds());
        } catch (IOException e) {
            throw new UncheckedIOException("training stage: lost partition 0's reports", e);
        }
    }

    /** Why the job ended while the driver still expected an epoch, or null while it runs. */
    private RuntimeException failure() {
        if (!job.isDone()) return null;
        try {
            job.join();
            return new IllegalStateException("training stage ended after " + delivered + " of its " + epochs + " epochs");
        } catch (CompletionException e) {
            return failed(e.getCause());
        }
    }

    private static RuntimeException failed(Throwable cause) {
        return cause instanceof RuntimeException r ? r : new IllegalStateException("training stage failed: " + cause.getMessage(), cause);
    }

    /** Waits for the job to end; if epochs are still owed, stops it first (the workers lose the driver and fail). */
    @Override
    public void close() {
        boolean early = !finished();
        if (early) listener.stop();
        listener.close();
        if (early) jsc.cancelJobGroup(jobGroup);
        try {
            job.get(early ? 60 : 600, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (!early) throw failed(e.getCause());
        } catch (TimeoutException e) {
            if (!early) throw new IllegalStateException("training stage: delivered every epoch, but its Spark job did not end", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
