package latentdigits.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The driver's side of one barrier stage training several epochs ({@link BarrierRounds} for the VAEs and the
 * classifier, {@link GanRounds} for the GAN): the Spark job runs in a background thread while {@link #next} hands the
 * driver each epoch's networks in turn, and lets the stage go on to the next epoch only when asked for it, so the
 * driver's per-epoch work (scores, figures, checkpoint) sees every epoch's networks and does not compete with training
 * for cores.
 *
 * @param <N> what partition 0 reports when an epoch ends (the networks every worker then holds)
 */
final class EpochStage<N extends Serializable> implements AutoCloseable {
    private final JavaSparkContext jsc;
    private final EpochReports.Listener listener;
    private final String jobGroup;
    private final int epochs;
    private final CompletableFuture<Void> job;
    private int delivered;
    private boolean owesGo;

    /** What the driver learns from an epoch. */
    record Epoch<N>(N networks, double workerFitSeconds) {
    }

    /** A stage's tasks: each trains its partition's share of every epoch; partition 0 reports to {@code driver}. */
    interface Tasks<T> extends Function<EpochReports.Address, StageTask<T>> {
    }

    <T> EpochStage(JavaSparkContext jsc, JavaRDD<T> data, String stageKey, int epochs, Tasks<T> tasks) {
        this.jsc = jsc;
        this.epochs = epochs;
        this.jobGroup = "latent-digits training " + stageKey;
        try {
            this.listener = new EpochReports.Listener(jsc.getConf().get("spark.driver.host", "localhost"), stageKey);
        } catch (IOException e) {
            throw new UncheckedIOException("training stage: cannot open a port on the driver for the workers' reports", e);
        }
        StageTask<T> function = tasks.apply(listener.address());
        this.job = CompletableFuture.runAsync(() -> {
            jsc.setJobGroup(jobGroup, "training epochs (" + stageKey + ")", true);
            data.rdd().barrier().mapPartitions(function, false, scala.reflect.ClassTag$.MODULE$.apply(Integer.class)).count();
        }, runnable -> {
            Thread thread = new Thread(runnable, "training-stage");
            thread.setDaemon(true);
            thread.start();
        });
    }

    /** Seeds for a stage's {@code epochs} epochs, drawn in the order one stage per epoch would draw them. */
    static long[] epochSeeds(java.util.Random seeds, int epochs) {
        long[] drawn = new long[epochs];
        for (int i = 0; i < epochs; i++) drawn[i] = seeds.nextLong();
        return drawn;
    }

    /** What partition 0 sends: {@code networks} as bytes. */
    static byte[] serialise(Serializable networks) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(networks);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    boolean finished() {
        return delivered == epochs;
    }

    /** Waits for the stage's next epoch and returns what partition 0 reported. */
    Epoch<N> next() {
        if (finished()) throw new IllegalStateException("the stage's " + epochs + " epochs are all delivered");
        try {
            if (owesGo) listener.proceed();
            owesGo = false;
            EpochReports.EpochReport report = listener.next(this::failure);
            if (report.index() != delivered)
                throw new IllegalStateException("training stage: expected epoch " + delivered + " of the stage, received " + report.index());
            delivered++;
            owesGo = !finished();
            return new Epoch<>(networks(report.networks()), report.fitSeconds());
        } catch (IOException e) {
            throw new UncheckedIOException("training stage: lost partition 0's reports", e);
        }
    }

    @SuppressWarnings("unchecked")
    private N networks(byte[] bytes) throws IOException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (N) in.readObject();
        } catch (ClassNotFoundException e) {
            throw new IOException("partition 0 reported a class the driver does not have", e);
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

    /**
     * A run's epochs as a sequence of stages of at most {@code epochsPerStage} epochs (0: one stage for the run),
     * each started by {@code start} (first epoch, how many) when the one before has delivered all of its epochs.
     */
    static final class Sequence<N extends Serializable> implements AutoCloseable {
        interface Start<N extends Serializable> {
            EpochStage<N> stage(int firstEpoch, int count);
        }

        private final int epochsPerStage;
        private final Start<N> start;
        private EpochStage<N> stage;

        Sequence(int epochsPerStage, Start<N> start) {
            this.epochsPerStage = epochsPerStage;
            this.start = start;
        }

        /** Epoch {@code epoch} of {@code epochs}, from the running stage or a new one. */
        Epoch<N> next(int epoch, int epochs) {
            if (stage == null || stage.finished()) {
                close();
                int left = epochs - epoch + 1;
                stage = start.stage(epoch, epochsPerStage == 0 ? left : Math.min(epochsPerStage, left));
            }
            return stage.next();
        }

        /** Ends the running stage: after its last epoch, or early (training stopped), cancelling it. */
        @Override
        public void close() {
            if (stage != null) stage.close();
            stage = null;
        }
    }
}
