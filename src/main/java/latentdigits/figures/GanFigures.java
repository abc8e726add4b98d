package latentdigits.figures;

import latentdigits.model.GanModel;
import org.nd4j.linalg.api.ndarray.INDArray;

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
        return ImageGrid.sheet(VaeFigures.rows(gan.pixels(z)), columns, title);
    }

    /** Figure 7: G on {@code steps} points of the straight line between two random z (both ends included). */
    public static BufferedImage interpolation(GanModel gan, INDArray zA, INDArray zB, int steps, String title) {
        float[][] images = VaeFigures.rows(gan.pixels(VaeFigures.line(zA, zB, steps)));
        return ImageGrid.framed(ImageGrid.tiles(images, steps, 3, 3), title, null, null, null, null, steps, 1,
                c -> String.format("t=%.2f", (double) c / Math.max(1, steps - 1)));
    }
}
