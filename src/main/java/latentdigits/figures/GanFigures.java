package latentdigits.figures;

import latentdigits.model.GanModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The study's GAN figures 5-7 and the per-epoch sample sheets. */
public final class GanFigures {
    private GanFigures() {
    }

    /** Figure 5: D's loss on data + generated images and G's loss (D's loss on generated images called data). */
    public static BufferedImage loss(List<Map<String, Object>> rows, String title) {
        Map<String, String> series = new LinkedHashMap<>();
        series.put("d_loss", "discriminator: XENT on 100 data + 100 generated images");
        series.put("g_loss", "generator: D's XENT on 100 generated images labelled data");
        return Charts.lines(title, "binary cross entropy (nats / image)", rows, series, 900, 480);
    }

    /** A columns x columns sheet of G(z) for the given z (Figure 6 with 36 random z; per-epoch sheets with 64 fixed z). */
    public static BufferedImage samples(GanModel gan, INDArray z, int columns, String title) {
        float[][] images = VaeFigures.rows(gan.pixels(z));
        return ImageGrid.framed(ImageGrid.tiles(images, columns, 2, 2), title, null, null, null, null, columns,
                (images.length + columns - 1) / columns, null);
    }

    /** Figure 7: G on {@code steps} points of the straight line between two random z (both ends included). */
    public static BufferedImage interpolation(GanModel gan, INDArray zA, INDArray zB, int steps, String title) {
        INDArray z = Nd4j.zeros(DataType.FLOAT, steps, zA.length());
        for (int i = 0; i < steps; i++) {
            double t = steps == 1 ? 0 : (double) i / (steps - 1);
            z.getRow(i).assign(zA.reshape(1, zA.length()).mul(1 - t).addi(zB.reshape(1, zB.length()).mul(t)));
        }
        float[][] images = VaeFigures.rows(gan.pixels(z));
        return ImageGrid.framed(ImageGrid.tiles(images, steps, 3, 3), title, null, null, null, null, steps, 1,
                c -> String.format("t=%.2f", (double) c / Math.max(1, steps - 1)));
    }
}
