package latentdigits.encode;

import latentdigits.data.DigitRecord;
import latentdigits.data.DigitBlock;
import latentdigits.model.VaeLossTerms;
import latentdigits.model.VaeModel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * The k-sample importance-weighted bound on log p(x) of Burda, Grosse and Salakhutdinov (2016):
 * log p(x) >= log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x) with z_i ~ q(z|x). Its negative is a tighter upper bound on
 * the negative log-likelihood than the negative ELBO (k = 1 is the ELBO's one-sample estimate), so it says how much of
 * the NELBO is the encoder's gap rather than the model's fit. p(x|z) uses the training objective's clipping, as the
 * NELBO does.
 */
public final class ImportanceWeightedBound {
    /** Seeds each image's k draws, with its position added, so a rerun repeats. */
    static final long SEED = 1_000_003L;

    private ImportanceWeightedBound() {
    }

    /**
     * log w = log p(x|z) + log N(z; 0, I) - log N(z; mu, sigma^2) with z = mu + sigma * eps; the 2 pi terms cancel:
     * log p(x|z) - |z|^2 / 2 + |eps|^2 / 2 + sum(logvar) / 2, from a draw's squared norms.
     */
    static double logWeight(double logLikelihood, double zSquared, double epsSquared, double logvarSum) {
        return logLikelihood - 0.5 * zSquared + 0.5 * epsSquared + 0.5 * logvarSum;
    }

    /** log (1/k) sum_i exp(v_i), without overflow. */
    static double logMeanExp(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) max = Math.max(max, x);
        double sum = 0;
        for (double x : v) sum += Math.exp(x - max);
        return max + Math.log(sum / v.length);
    }

    /** Images decoded together: k draws each, about 10,000 rows a decoder call (DL4J's cost per call is large). */
    static int imagesPerCall(int k) {
        return Math.max(1, 10_000 / k);
    }

    /** The bound's negative (nats) for each record, {@code k} draws each; {@code moments} rows are (mu, logvar). */
    public static double[] nll(ComputationGraph decoder, List<DigitRecord> records, float[][] moments, int latent, int k) {
        double[] out = new double[records.size()];
        DataType type = decoder.getConfiguration().getDataType();
        int perCall = imagesPerCall(k);
        for (int from = 0; from < records.size(); from += perCall) {
            int m = Math.min(perCall, records.size() - from);
            INDArray[] eps = new INDArray[m], z = new INDArray[m];
            for (int b = 0; b < m; b++) {
                float[] row = moments[from + b];
                INDArray mu = Nd4j.create(java.util.Arrays.copyOfRange(row, 0, latent), new long[]{1, latent});
                INDArray logvar = Nd4j.create(java.util.Arrays.copyOfRange(row, latent, 2 * latent), new long[]{1, latent});
                Nd4j.getRandom().setSeed(SEED + records.get(from + b).position());
                eps[b] = Nd4j.randn(DataType.FLOAT, k, latent);
                z[b] = eps[b].mulRowVector(org.nd4j.linalg.ops.transforms.Transforms.exp(logvar.mul(0.5), false)).addiRowVector(mu);
            }
            INDArray p = decoder.outputSingle(false, Nd4j.vstack(z).castTo(type)).castTo(DataType.FLOAT);
            // -xent of each draw = log(p) . x + log(1 - p) . (1 - x), two matrix-vector products per image, with the
            // training objective's clipping
            INDArray clipped = org.nd4j.linalg.ops.transforms.Transforms.max(
                    org.nd4j.linalg.ops.transforms.Transforms.min(p, 1 - VaeLossTerms.CLIP, false), VaeLossTerms.CLIP, false);
            INDArray logP = org.nd4j.linalg.ops.transforms.Transforms.log(clipped, true);
            INDArray log1mP = org.nd4j.linalg.ops.transforms.Transforms.log(clipped.rsubi(1), false);
            for (int b = 0; b < m; b++) {
                DigitRecord record = records.get(from + b);
                INDArray x = VaeModel.images(DigitBlock.contiguous(0, record.pixels(), new byte[1]), 0, 1)
                        .castTo(DataType.FLOAT).reshape(784, 1); // scaled as the NELBO's images are
                org.nd4j.linalg.indexing.INDArrayIndex rows = org.nd4j.linalg.indexing.NDArrayIndex.interval((long) b * k, (long) (b + 1) * k);
                org.nd4j.linalg.indexing.INDArrayIndex all = org.nd4j.linalg.indexing.NDArrayIndex.all();
                double[] ll = logP.get(rows, all).mmul(x).addi(log1mP.get(rows, all).mmul(x.rsub(1))).toDoubleVector();
                double[] z2 = z[b].mul(z[b]).sum(1).toDoubleVector(), eps2 = eps[b].mul(eps[b]).sum(1).toDoubleVector();
                double logvarSum = 0;
                for (int j = latent; j < 2 * latent; j++) logvarSum += moments[from + b][j];
                double[] logW = new double[k];
                for (int i = 0; i < k; i++) logW[i] = logWeight(ll[i], z2[i], eps2[i], logvarSum);
                out[from + b] = -logMeanExp(logW);
            }
        }
        return out;
    }
}
