package latentdigits.model;

import latentdigits.data.DigitBlock;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Scores a VAE's two loss terms on fixed image sets (after every epoch: a sample of the training images and the
 * validation images) with its minibatches spread over threads, each thread with its own copy of the network. The
 * sampling noise of every minibatch is drawn first, on the calling thread and in minibatch order, from the stream a
 * one-thread pass ({@link VaeModel#lossSums(DigitBlock, int)}) would draw from, and the minibatches' sums are added in
 * that order: the numbers, and the calling thread's random state after them, are those of one thread scoring the sets
 * in turn, whatever the number of threads. On the embedded Spark the workers' cores are idle while the driver scores.
 */
public final class VaeScorer implements AutoCloseable {
    private final VaeModel model;
    private final int batch;
    private final ExecutorService pool;
    /** Each scoring thread's copy of the network, made on that thread (building a graph reseeds its thread's random stream). */
    private final ThreadLocal<ComputationGraph> copies = new ThreadLocal<>();
    private final ThreadLocal<Integer> copiedAt = new ThreadLocal<>();
    private int version;

    /** @param threads at most this many scoring threads (1: the calling thread's pass, on one helper thread) */
    public VaeScorer(VaeModel model, int batch, int threads) {
        if (batch < 1) throw new IllegalArgumentException("--eval-batch: expected at least 1, found " + batch);
        if (threads < 1) throw new IllegalArgumentException("scoring threads: expected at least 1, found " + threads);
        this.model = model;
        this.batch = batch;
        this.pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread t = new Thread(runnable, "latent-digits scoring");
            t.setDaemon(true);
            return t;
        });
    }

    /** The loss terms' sums over each of {@code blocks}, scored with the model's current parameters. */
    public VaeModel.LossSums[] lossSums(DigitBlock... blocks) {
        int current = ++version;
        List<Future<VaeModel.LossSums>> parts = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int b = 0; b < blocks.length; b++) {
            DigitBlock block = blocks[b];
            for (int from = 0; from < block.size(); from += batch) {
                int start = from, end = Math.min(block.size(), from + batch);
                INDArray noise = GaussianSampleVertexImpl.drawNoise(
                        Nd4j.createUninitialized(model.graph().getConfiguration().getDataType(), end - start, model.latent()));
                parts.add(pool.submit(() -> GaussianSampleVertexImpl.withNoise(noise,
                        () -> VaeModel.lossSums(copy(current), block, start, end))));
                owners.add(b);
            }
        }
        VaeModel.LossSums[] sums = new VaeModel.LossSums[blocks.length];
        for (int b = 0; b < blocks.length; b++) sums[b] = new VaeModel.LossSums();
        try {
            for (int i = 0; i < parts.size(); i++) sums[owners.get(i)].merge(parts.get(i).get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while scoring the VAE", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException("scoring the VAE failed: " + e.getCause(), e.getCause());
        }
        return sums;
    }

    /** This thread's copy of the network, with the parameters of scoring round {@code current}. */
    private ComputationGraph copy(int current) {
        ComputationGraph copy = copies.get();
        if (copy == null) {
            ComputationGraph original = model.graph();
            copy = new ComputationGraph(original.getConfiguration().clone());
            copy.init(original.params().dup(), false);
            copies.set(copy);
        } else if (copiedAt.get() != current) {
            copy.params().assign(model.graph().params());
        }
        copiedAt.set(current);
        return copy;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
