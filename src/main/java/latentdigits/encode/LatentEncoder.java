package latentdigits.encode;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.model.ModelFiles;
import latentdigits.model.VaeLossTerms;
import latentdigits.model.VaeModel;
import latentdigits.util.HadoopConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Encodes a whole digit set in parallel: each partition reads its own range of records straight from the IDX files,
 * loads the model once from a broadcast copy of its zip, and runs the encoder-only network over large batches.
 * With {@code withLoss} it also runs the full VAE to score each image's XENT and KL (one sampled z, as in training).
 */
public final class LatentEncoder {
    private LatentEncoder() {
    }

    public static JavaRDD<LatentRow> encode(JavaSparkContext jsc, Broadcast<byte[]> model, DigitSource source, HadoopConf hadoop,
                                            long limit, int partitions, int batch, boolean withLoss) {
        long n = limit > 0 ? Math.min(limit, source.count()) : source.count();
        List<long[]> ranges = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            long first = n * p / partitions, end = n * (p + 1) / partitions;
            if (end > first) ranges.add(new long[]{first, end - first});
        }
        return jsc.parallelize(ranges, ranges.size()).mapPartitions(it -> {
            Loaded loaded = loaded(model);
            List<LatentRow> out = new ArrayList<>();
            while (it.hasNext()) {
                long[] range = it.next();
                for (long first = range[0]; first < range[0] + range[1]; first += batch) {
                    int count = (int) Math.min(batch, range[0] + range[1] - first);
                    encodeBlock(loaded.vae, loaded.encoder, source.read(first, count, hadoop.get()), withLoss, out);
                }
            }
            return out.iterator();
        });
    }

    /** One task per core, and more for bulk sets so that no task holds more than ~100,000 rows in memory. */
    public static int defaultTasks(long images, int cores) {
        return (int) Math.max(cores, (images + 99_999) / 100_000);
    }

    private record Loaded(long broadcastId, VaeModel vae, ComputationGraph encoder) {
    }

    /** One loaded model per executor thread and broadcast: a network is not thread-safe, and loading one is slow. */
    private static final ThreadLocal<Loaded> LOADED = new ThreadLocal<>();

    private static Loaded loaded(Broadcast<byte[]> model) throws java.io.IOException {
        Loaded cached = LOADED.get();
        if (cached != null && cached.broadcastId() == model.id()) return cached;
        VaeModel vae = VaeModel.fromLoaded(ModelFiles.fromBytes(model.value(), "broadcast model"), "broadcast model");
        Loaded fresh = new Loaded(model.id(), vae, vae.encoder());
        LOADED.set(fresh);
        return fresh;
    }

    /** Seeds the loss's sampling noise, with each block's first record index added. */
    static final long NOISE_SEED = 20_181_030L;

    /** Single-JVM encoding of one block: what each partition does, and what tests compare Spark's output with. */
    public static void encodeBlock(VaeModel vae, ComputationGraph encoder, DigitBlock block, boolean withLoss, List<LatentRow> out) {
        INDArray x = VaeModel.images(block, 0, block.size());
        float[][] moments;
        double[] xent = null, kl = null;
        if (withLoss) { // the full VAE's KL output is the encoder's (mu, logvar): no second encoder pass
            // the sampled z's noise seeded by the block's first record: a run repeats to the last digit, embedded or on a
            // cluster, for the same partitions and batch size
            org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(NOISE_SEED + (block.size() == 0 ? 0 : block.indices()[0]));
            INDArray[] full = vae.graph().output(false, x);
            xent = VaeLossTerms.xentPerImage(x, full[0]).toDoubleVector();
            kl = VaeLossTerms.klPerImage(full[1]).toDoubleVector();
            moments = toRows(full[1]);
        } else {
            moments = toRows(encoder.outputSingle(false, x));
        }
        int k = vae.latent();
        for (int i = 0; i < block.size(); i++) {
            float[] mu = java.util.Arrays.copyOfRange(moments[i], 0, k);
            float[] logvar = java.util.Arrays.copyOfRange(moments[i], k, 2 * k);
            out.add(new LatentRow(block.indices()[i], block.label(i), mu, logvar,
                    withLoss ? xent[i] : Double.NaN, withLoss ? kl[i] : Double.NaN));
        }
    }

    static float[][] toRows(INDArray m) {
        float[] flat = new float[(int) m.length()];
        m.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asNioFloat().get(flat); // bulk copy
        int rows = (int) m.size(0), cols = (int) m.size(1);
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) System.arraycopy(flat, r * cols, out[r], 0, cols);
        return out;
    }
}
