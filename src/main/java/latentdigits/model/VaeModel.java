package latentdigits.model;

import latentdigits.util.DirectBuffers;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trained (or training) VAE: the full graph plus what it takes to use it — encode images to (mu, logvar),
 * decode latent vectors to pixel probabilities, and score the two loss terms. Shared by every architecture.
 */
public final class VaeModel {
    public static final String KIND = "vae";
    private final VaeNetworks.Spec spec;
    private final ComputationGraph graph;
    // Built once: initialising a graph reseeds ND4J's random generator, which would repeat the sampling noise
    private ComputationGraph encoderSnapshot;
    private ComputationGraph decoderSnapshot;

    public VaeModel(VaeNetworks.Spec spec, ComputationGraph graph) {
        this.spec = spec;
        this.graph = graph;
    }

    public static VaeModel create(VaeNetworks.Spec spec) {
        return new VaeModel(spec, VaeNetworks.full(spec));
    }

    public VaeNetworks.Spec spec() {
        return spec;
    }

    public ComputationGraph graph() {
        return graph;
    }

    public int latent() {
        return spec.latent();
    }

    /** The training example for fit(): features [x], labels [x, zeros] (the KL output ignores its labels). */
    public static MultiDataSet trainingBatch(DigitBlock block, int from, int to, int latent) {
        int n = to - from;
        INDArray x = images(block, from, to);
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{x},
                new INDArray[]{x, Nd4j.zeros(DataType.FLOAT, n, 2L * latent)});
    }

    /** Images [from, to) as [n, 784] floats in [0, 1]. */
    public static INDArray images(DigitBlock block, int from, int to) {
        return pixels(block, from, to, 0f, 1f);
    }

    /**
     * Images [from, to) scaled to [low, high], copied in bulk into the array's native buffer: Nd4j.create(float[])
     * copies element by element and was the encode job's largest Java cost.
     */
    public static INDArray pixels(DigitBlock block, int from, int to, float low, float high) {
        INDArray x = Nd4j.createUninitialized(DataType.FLOAT, to - from, DigitSource.PIXELS);
        DirectBuffers.write(block.scaledPixels(from, to, low, high), x);
        return x;
    }

    /** The encoder-only network with the current parameters (copied on each call; reuse it across batches). */
    public synchronized ComputationGraph encoder() {
        if (encoderSnapshot == null) encoderSnapshot = VaeNetworks.encoderOnly(spec);
        return VaeNetworks.copyParameters(graph, encoderSnapshot);
    }

    /** The decoder-only network with the current parameters (copied on each call). */
    public synchronized ComputationGraph decoder() {
        if (decoderSnapshot == null) decoderSnapshot = VaeNetworks.decoderOnly(spec);
        return VaeNetworks.copyParameters(graph, decoderSnapshot);
    }

    /** Pixel probabilities [N, 784] for latent vectors [N, latent]. */
    public INDArray decode(INDArray z) {
        return decoder().outputSingle(false, z.castTo(graph.getConfiguration().getDataType()));
    }

    /** Mean XENT and KL (nats per image) over a block, one sampled z per image as in training. */
    public LossSums lossSums(DigitBlock block, int batch) {
        LossSums sums = new LossSums();
        for (int from = 0; from < block.size(); from += batch) sums.merge(lossSums(graph, block, from, Math.min(block.size(), from + batch)));
        return sums;
    }

    /** The loss terms' sums over images [from, to) of {@code block}, scored by {@code graph} (this VAE or a copy). */
    static LossSums lossSums(ComputationGraph graph, DigitBlock block, int from, int to) {
        INDArray x = images(block, from, to);
        INDArray[] out = graph.output(false, x);
        LossSums sums = new LossSums();
        sums.add(VaeLossTerms.xentPerImage(x, out[0]).sumNumber().doubleValue(),
                VaeLossTerms.klPerImage(out[1]).sumNumber().doubleValue(), to - from);
        return sums;
    }

    /** Running sums of the two loss terms; mergeable across Spark partitions. */
    public static final class LossSums implements java.io.Serializable {
        public double xent;
        public double kl;
        public long n;

        public void add(double xentSum, double klSum, long count) {
            xent += xentSum;
            kl += klSum;
            n += count;
        }

        public LossSums merge(LossSums other) {
            add(other.xent, other.kl, other.n);
            return this;
        }

        public double meanXent() {
            return xent / n;
        }

        public double meanKl() {
            return kl / n;
        }
    }

    public Map<String, Object> metadata(Map<String, Object> provenance) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", KIND);
        m.put("architecture", spec.architecture().name());
        m.put("latent", spec.latent());
        m.put("learning_rate", spec.learningRate());
        m.put("seed", spec.seed());
        m.put("provenance", provenance);
        return m;
    }

    public byte[] toBytes(Map<String, Object> provenance) throws IOException {
        return ModelFiles.toBytes(graph, metadata(provenance));
    }

    public static VaeModel fromLoaded(ModelFiles.Loaded loaded, String source) {
        Map<String, Object> m = ModelFiles.requireKind(loaded, KIND, "a VAE model", source);
        VaeNetworks.Spec spec = new VaeNetworks.Spec(VaeArchitecture.named(String.valueOf(m.get("architecture")), source),
                ((Number) m.get("latent")).intValue(), ((Number) m.get("learning_rate")).doubleValue(),
                ((Number) m.get("seed")).longValue(), loaded.graph().getConfiguration().getDataType());
        return new VaeModel(spec, loaded.graph());
    }

}
