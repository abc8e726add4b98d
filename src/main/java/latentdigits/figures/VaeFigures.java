package latentdigits.figures;

import latentdigits.data.DigitBlock;
import latentdigits.model.VaeModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The study's VAE figures (1, 3 and 4; 8, 10 and 11 for the CNN VAE) and the per-epoch sample sheets. */
public final class VaeFigures {
    private VaeFigures() {
    }

    /** Figure 1 / 8: train and validation XENT (left) and KL (right) against epoch. */
    public static BufferedImage loss(List<Map<String, Object>> rows, String modelTitle) {
        Map<String, String> xent = new LinkedHashMap<>();
        xent.put("train_xent", "training XENT");
        xent.put("val_xent", "validation XENT");
        Map<String, String> kl = new LinkedHashMap<>();
        kl.put("train_kl", "training KL");
        kl.put("val_kl", "validation KL");
        return Charts.sideBySide(
                Charts.lines(modelTitle + ": reconstruction loss", "binary cross entropy (nats / image)", rows, xent, 640, 440),
                Charts.lines(modelTitle + ": KL to N(0, I)", "KL (nats / image)", rows, kl, 640, 440));
    }

    /** The decoder on a fixed set of latent draws: 64 images in an 8 x 8 sheet. */
    public static BufferedImage samples(VaeModel model, INDArray fixedZ, String title) {
        return ImageGrid.sheet(rows(model.decode(fixedZ)), 8, title);
    }

    /** Figure 4 / 11: the decoder on a side x side grid over [-limit, limit]^2 (z_0 to the right, z_1 upward). */
    public static BufferedImage latentGrid(VaeModel model, int side, double limit, String title) {
        double[] ticks = new double[side];
        for (int i = 0; i < side; i++) ticks[i] = -limit + 2 * limit * i / (side - 1);
        INDArray z = Nd4j.zeros(DataType.FLOAT, (long) side * side, model.latent());
        for (int row = 0; row < side; row++) {
            for (int col = 0; col < side; col++) {
                z.putScalar(row * side + col, 0, ticks[col]);
                z.putScalar(row * side + col, 1, ticks[side - 1 - row]);
            }
        }
        float[][] images = rows(model.decode(z));
        return ImageGrid.framed(ImageGrid.tiles(images, side, 2, 1), title, "z\u2080", "z\u2081",
                c -> String.format("%.2f", ticks[c]), r -> String.format("%.2f", ticks[side - 1 - r]), side, side, null);
    }

    /**
     * Figure 3 / 10: two test images at the ends; between them the decodings of {@code steps} points on the straight
     * line between their encoder means (both ends included).
     */
    public static BufferedImage interpolation(VaeModel model, DigitBlock ends, int steps, String title) {
        INDArray x = VaeModel.images(ends, 0, 2);
        INDArray moments = model.encoder().outputSingle(false, x);
        INDArray muA = moments.getRow(0).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, model.latent()));
        INDArray muB = moments.getRow(1).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, model.latent()));
        float[][] decoded = rows(model.decode(line(muA, muB, steps)));
        float[][] all = new float[steps + 2][];
        all[0] = ends.scaledPixels(0, 1, 0f, 1f);
        System.arraycopy(decoded, 0, all, 1, steps);
        all[steps + 1] = ends.scaledPixels(1, 2, 0f, 1f);
        return ImageGrid.framed(ImageGrid.tiles(all, steps + 2, 3, 3), title, null, null, null, null, steps + 2, 1,
                c -> c == 0 ? "test #" + ends.indices()[0] : c == steps + 1 ? "test #" + ends.indices()[1] : String.format("t=%.2f", (double) (c - 1) / Math.max(1, steps - 1)));
    }

    /** {@code steps} points on the straight line from a to b, both ends included, as the rows of one array. */
    static INDArray line(INDArray a, INDArray b, int steps) {
        INDArray z = Nd4j.zeros(DataType.FLOAT, steps, a.length());
        for (int i = 0; i < steps; i++) {
            double t = steps == 1 ? 0 : (double) i / (steps - 1);
            z.getRow(i).assign(a.reshape(1, a.length()).mul(1 - t).addi(b.reshape(1, b.length()).mul(t)));
        }
        return z;
    }

    public static float[][] rows(INDArray images) {
        INDArray f = images.castTo(DataType.FLOAT);
        float[][] out = new float[(int) f.size(0)][];
        for (int i = 0; i < out.length; i++) out[i] = f.getRow(i).toFloatVector();
        return out;
    }
}
