package latentdigits.figures;

import latentdigits.data.DigitSource;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.function.IntFunction;

/** Digit images laid out in a grid, optionally with a title and labelled axes (for the latent-grid figures). */
public final class ImageGrid {
    public static final int TILE = DigitSource.SIDE;

    private ImageGrid() {
    }

    /** Images given as rows of 784 intensities in [0, 1] (white digit on black, as MNIST stores them). */
    public static BufferedImage tiles(float[][] images, int columns, int scale, int gap) {
        int rows = (images.length + columns - 1) / columns;
        int cell = TILE * scale + gap;
        BufferedImage out = new BufferedImage(columns * cell + gap, rows * cell + gap, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(new Color(40, 40, 40));
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.dispose();
        for (int i = 0; i < images.length; i++)
            draw(out, images[i], gap + (i % columns) * cell, gap + (i / columns) * cell, scale);
        return out;
    }

    static void draw(BufferedImage out, float[] image, int x0, int y0, int scale) {
        for (int y = 0; y < TILE; y++) {
            for (int x = 0; x < TILE; x++) {
                int v = Math.max(0, Math.min(255, Math.round(image[y * TILE + x] * 255f)));
                int rgb = (v << 16) | (v << 8) | v;
                for (int dy = 0; dy < scale; dy++)
                    for (int dx = 0; dx < scale; dx++) out.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, rgb);
            }
        }
    }

    /** A titled sheet of sample images, {@code columns} to a row (per-epoch samples, Figure 6, the sample job's PNG). */
    public static BufferedImage sheet(float[][] images, int columns, String title) {
        return framed(tiles(images, columns, 2, 2), title, null, null, null, null, columns,
                (images.length + columns - 1) / columns, null);
    }

    /**
     * A grid with a white frame: a title on top, a caption under every column (optional), and optionally
     * axis tick labels (x along the bottom, y down the left) with axis names.
     */
    public static BufferedImage framed(BufferedImage grid, String title, String xAxis, String yAxis,
                                       IntFunction<String> xTicks, IntFunction<String> yTicks, int columns, int rows,
                                       IntFunction<String> columnCaptions) {
        int left = yAxis == null ? 20 : 80, top = 44, bottom = (xAxis == null ? 12 : 60) + (columnCaptions == null ? 0 : 22), right = 20;
        BufferedImage out = new BufferedImage(grid.getWidth() + left + right, grid.getHeight() + top + bottom, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(grid, left, top, null);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        centered(g, title, out.getWidth() / 2, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double cellW = (double) grid.getWidth() / columns, cellH = (double) grid.getHeight() / rows;
        int below = top + grid.getHeight();
        if (columnCaptions != null) {
            for (int c = 0; c < columns; c++) centered(g, columnCaptions.apply(c), (int) (left + (c + 0.5) * cellW), below + 16);
            below += 22;
        }
        g.setStroke(new BasicStroke(1f));
        if (xTicks != null) {
            for (int c = 0; c < columns; c++) {
                String t = xTicks.apply(c);
                if (t == null) continue;
                int x = (int) (left + (c + 0.5) * cellW);
                g.drawLine(x, below + 2, x, below + 7);
                centered(g, t, x, below + 21);
            }
        }
        if (xAxis != null) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            centered(g, xAxis, left + grid.getWidth() / 2, below + 46);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        if (yTicks != null) {
            FontMetrics fm = g.getFontMetrics();
            for (int r = 0; r < rows; r++) {
                String t = yTicks.apply(r);
                if (t == null) continue;
                int y = (int) (top + (r + 0.5) * cellH);
                g.drawLine(left - 7, y, left - 2, y);
                g.drawString(t, left - 10 - fm.stringWidth(t), y + fm.getAscent() / 2 - 1);
            }
        }
        if (yAxis != null) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.translate(22, top + grid.getHeight() / 2);
            rotated.rotate(-Math.PI / 2);
            centered(rotated, yAxis, 0, 0);
            rotated.dispose();
        }
        g.dispose();
        return out;
    }

    private static void centered(Graphics2D g, String text, int x, int y) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, y);
    }
}
