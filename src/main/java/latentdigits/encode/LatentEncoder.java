package latentdigits.encode;

import latentdigits.data.DataFileException;
import latentdigits.data.DigitBlock;
import latentdigits.data.DigitRecord;
import latentdigits.data.DigitSource;
import latentdigits.model.ModelFiles;
import latentdigits.util.FloatArrays;
import latentdigits.model.VaeLossTerms;
import latentdigits.model.VaeModel;
import latentdigits.util.LazyIterators;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The encoder over a stream of records, as each Spark task runs it (the encode job's and the Transformer's): good
 * records are grouped into large batches, each batch is run through the encoder-only network, or with {@code withLoss}
 * through the full VAE to score each image's XENT and KL (one sampled z, as in training). Bad records go to a policy
 * that fails the task or counts and drops them. Nothing is held beyond the batch being encoded.
 */
public final class LatentEncoder {
    private LatentEncoder() {
    }

    /** A batch's records and what the encoder made of them: rows of (mu, logvar), and per-image losses with withLoss. */
    public record Encoded(List<DigitRecord> records, float[][] moments, double[] xent, double[] kl) {
        public float[] mu(int i, int latent) {
            return java.util.Arrays.copyOfRange(moments[i], 0, latent);
        }

        public float[] logvar(int i, int latent) {
            return java.util.Arrays.copyOfRange(moments[i], latent, 2 * latent);
        }
    }

    /** What to do with a record that cannot be encoded. */
    public interface BadRecords extends Serializable {
        void reject(DigitRecord record);

        /** The default: the task fails, naming the record; the job ends with that one line. */
        static BadRecords fail() {
            return r -> {
                throw new DataFileException(r.id() + ": " + r.problem() + " (--skip-bad-records encodes the rest and lists it in _rejected)");
            };
        }
    }

    /** Lazily encodes the records, {@code batch} good ones at a time. */
    public static Iterator<Encoded> encode(Iterator<DigitRecord> records, Broadcast<byte[]> model, int batch, boolean withLoss,
                                           BadRecords bad) {
        Iterator<DigitRecord> good = LazyIterators.flatMap(records, r -> {
            if (!r.isBad()) return List.of(r);
            bad.reject(r);
            return List.of();
        });
        return new Iterator<>() {
            final Iterator<List<DigitRecord>> batches = LazyIterators.batches(good, batch);

            @Override
            public boolean hasNext() {
                return batches.hasNext();
            }

            @Override
            public Encoded next() {
                return encodeBatch(model, batches.next(), withLoss);
            }
        };
    }

    /** One batch with the broadcast model, loaded once per executor thread. */
    public static Encoded encodeBatch(Broadcast<byte[]> model, List<DigitRecord> batch, boolean withLoss) {
        Loaded loaded = loaded(model);
        return encodeBatch(loaded.vae(), loaded.encoder(), batch, withLoss);
    }

    /** The broadcast model's decoder-only network, as loaded for this executor thread. */
    public static ComputationGraph decoder(Broadcast<byte[]> model) {
        Loaded loaded = loaded(model);
        if (loaded.decoder[0] == null) loaded.decoder[0] = loaded.vae().decoder();
        return loaded.decoder[0];
    }

    private record Loaded(long broadcastId, VaeModel vae, ComputationGraph encoder, ComputationGraph[] decoder) {
    }

    /** One loaded model per executor thread and broadcast: a network is not thread-safe, and loading one is slow. */
    private static final ThreadLocal<Loaded> LOADED = new ThreadLocal<>();

    private static Loaded loaded(Broadcast<byte[]> model) {
        Loaded cached = LOADED.get();
        if (cached != null && cached.broadcastId() == model.id()) return cached;
        try {
            VaeModel vae = VaeModel.fromLoaded(ModelFiles.fromBytes(model.value(), "broadcast model"), "broadcast model");
            Loaded fresh = new Loaded(model.id(), vae, vae.encoder(), new ComputationGraph[1]);
            LOADED.set(fresh);
            return fresh;
        } catch (IOException e) {
            throw new IllegalStateException("cannot load the broadcast model: " + e.getMessage(), e);
        }
    }

    /** Seeds the loss's sampling noise, with each batch's first position added. */
    static final long NOISE_SEED = 20_181_030L;

    /** One batch in this JVM: what each task does, and what tests compare Spark's output with. */
    public static Encoded encodeBatch(VaeModel vae, ComputationGraph encoder, List<DigitRecord> batch, boolean withLoss) {
        byte[] pixels = new byte[batch.size() * DigitSource.PIXELS];
        for (int i = 0; i < batch.size(); i++) System.arraycopy(batch.get(i).pixels(), 0, pixels, i * DigitSource.PIXELS, DigitSource.PIXELS);
        INDArray x = VaeModel.images(DigitBlock.contiguous(0, pixels, new byte[batch.size()]), 0, batch.size());
        if (!withLoss) return new Encoded(batch, toRows(encoder.outputSingle(false, x)), null, null);
        // the full VAE's KL output is the encoder's (mu, logvar): no second encoder pass. The sampled z's noise is seeded
        // by the batch's first position, so a run repeats to the last digit, embedded or on a cluster, for the same
        // partitions and batch size
        Nd4j.getRandom().setSeed(NOISE_SEED + (batch.isEmpty() ? 0 : batch.get(0).position()));
        INDArray[] full = vae.graph().output(false, x);
        return new Encoded(batch, toRows(full[1]), VaeLossTerms.xentPerImage(x, full[0]).toDoubleVector(),
                VaeLossTerms.klPerImage(full[1]).toDoubleVector());
    }

    /** Every record of a list through {@link #encodeBatch}, {@code batch} at a time (bad ones refused). */
    public static List<Encoded> encodeAll(VaeModel vae, List<DigitRecord> records, int batch, boolean withLoss) {
        List<Encoded> out = new ArrayList<>();
        ComputationGraph encoder = vae.encoder();
        for (int from = 0; from < records.size(); from += batch) {
            List<DigitRecord> part = records.subList(from, Math.min(records.size(), from + batch));
            part.stream().filter(DigitRecord::isBad).findFirst().ifPresent(BadRecords.fail()::reject);
            out.add(encodeBatch(vae, encoder, part, withLoss));
        }
        return out;
    }

    static float[][] toRows(INDArray m) {
        float[] flat = FloatArrays.floats(m);
        int rows = (int) m.size(0), cols = (int) m.size(1);
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) System.arraycopy(flat, r * cols, out[r], 0, cols);
        return out;
    }
}
