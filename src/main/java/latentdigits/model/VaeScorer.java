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
    private final ThreadLocal<Copy> copies = new ThreadLocal<>();
    private int version;

    /** A thread's copy of the network and the scoring round whose parameters it holds. */
    private static final class Copy {
        final ComputationGraph graph;
        int version;

        Copy(ComputationGraph graph) {
            this.graph = graph;
        }
    }

    /** One minibatch's sums, being scored, and the set it belongs to. */
    private record Part(int block, Future<VaeModel.LossSums> sums) {
    }

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
        List<Part> parts = new ArrayList<>();
        for (int b = 0; b < blocks.length; b++) {
            DigitBlock block = blocks[b];
            for (int from = 0; from < block.size(); from += batch) {
                int start = from, end = Math.min(block.size(), from + batch);
                INDArray noise = GaussianSampleVertexImpl.drawNoise(
                        Nd4j.createUninitialized(model.graph().getConfiguration().getDataType(), end - start, model.latent()));
                parts.add(new Part(b, pool.submit(() -> GaussianSampleVertexImpl.withNoise(noise,
                        () -> VaeModel.lossSums(copy(current), block, start, end)))));
            }
        }
        VaeModel.LossSums[] sums = new VaeModel.LossSums[blocks.length];
        for (int b = 0; b < blocks.length; b++) sums[b] = new VaeModel.LossSums();
        try {
            for (Part part : parts) sums[part.block()].merge(part.sums().get());
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
        Copy copy = copies.get();
        if (copy == null) {
            ComputationGraph original = model.graph();
            ComputationGraph graph = new ComputationGraph(original.getConfiguration().clone());
            graph.init(original.params().dup(), false);
            copy = new Copy(graph);
            copies.set(copy);
        } else if (copy.version != current) {
            copy.graph.params().assign(model.graph().params());
        }
        copy.version = current;
        return copy.graph;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
