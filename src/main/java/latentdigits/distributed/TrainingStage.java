package latentdigits.distributed;

import latentdigits.train.NetworkState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The driver's side of one training stage, a Spark barrier stage whose tasks ({@link StageTask}) train one or more
 * epochs together: the Spark job runs in a background thread while {@link #next} hands the driver each epoch's
 * networks in turn, and lets the stage go on to the next epoch only when asked for it, so the driver's per-epoch work
 * (scores, figures, checkpoint) sees every epoch's networks and does not compete with training for cores.
 */
final class TrainingStage implements AutoCloseable {
    private final JavaSparkContext jsc;
    private final HandoverChannel.DriverEnd channel;
    private final String jobGroup;
    private final int epochs;
    private final CompletableFuture<Void> job;
    private int delivered;
    private boolean owesGo;

    /**
     * What partition 0 hands the driver when an epoch ends.
     *
     * @param index      the epoch's place in its stage (0 = the stage's first)
     * @param fitSeconds partition 0's seconds inside fit() in the epoch
     * @param networks   what every worker then holds, in the trainer's order
     */
    record Handover(int index, double fitSeconds, List<NetworkState> networks) {
    }

    /** A stage's tasks: each trains its partition's share of every epoch; partition 0 hands over to {@code driver}. */
    interface Tasks<T> extends Function<HandoverChannel.Address, StageTask<T>> {
    }

    /** @param security the run's link settings: the handover port admits only partition 0 of this stage */
    <T> TrainingStage(JavaSparkContext jsc, JavaRDD<T> data, String stageKey, int epochs, LinkSecurity security, Tasks<T> tasks) {
        this.jsc = jsc;
        this.epochs = epochs;
        this.jobGroup = "latent-digits training " + stageKey;
        String advertised = jsc.getConf().get("spark.driver.host", "localhost");
        String bind = jsc.getConf().get("spark.driver.bindAddress", advertised);
        try {
            this.channel = new HandoverChannel.DriverEnd(bind, advertised, stageKey, security);
        } catch (IOException e) {
            throw new UncheckedIOException("training stage: cannot open a port on " + bind + " for the workers' handovers: " + e.getMessage(), e);
        }
        StageTask<T> function = tasks.apply(channel.address());
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

    /** Waits for the stage's next epoch and returns what partition 0 handed over. */
    Handover next() {
        if (finished()) throw new IllegalStateException("the stage's " + epochs + " epochs are all delivered");
        try {
            if (owesGo) channel.proceed();
            owesGo = false;
            Handover handover = channel.next(this::failure);
            if (handover.index() != delivered)
                throw new IllegalStateException("training stage: expected epoch " + delivered + " of the stage, received " + handover.index());
            delivered++;
            owesGo = !finished();
            return handover;
        } catch (IOException e) {
            throw new UncheckedIOException("training stage: lost partition 0's handovers", e);
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

    /** Waits for the job to end; if epochs are still owed, stops it first (partition 0 is told, the others cancelled). */
    @Override
    public void close() {
        boolean early = !finished();
        if (early) channel.stop();
        channel.close();
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
