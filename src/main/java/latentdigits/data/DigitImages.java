package latentdigits.data;



import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Turns an image as an input holds it into MNIST's 784 grey bytes, or says why it cannot: raw bytes (784 of them),
 * an encoded PNG or JPEG (28 x 28; colour is turned to grey by luminance), or 784 numbers (floats in [0, 1], integers in
 * [0, 255]). Images of another size are refused, not resized: MNIST's own size normalisation (fit to 20 x 20, centre
 * by mass) would only be right for images made the same way, so it is left to whoever made them.
 */
public final class DigitImages {
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G'};
    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};

    private DigitImages() {
    }

    /** The result: 784 bytes, or a problem. */
    public record Decoded(byte[] pixels, String problem) {
        static Decoded of(byte[] pixels) {
            return new Decoded(pixels, null);
        }

        static Decoded failed(String problem) {
            return new Decoded(null, problem);
        }
    }

    /** Bytes that are either the 784 pixels themselves or a PNG/JPEG file. */
    public static Decoded fromBytes(byte[] bytes) {
        if (bytes == null) return Decoded.failed("no image (null)");
        if (startsWith(bytes, PNG) || startsWith(bytes, JPEG)) return fromImageFile(bytes);
        if (bytes.length == DigitSource.PIXELS) return Decoded.of(bytes);
        return Decoded.failed(bytes.length + " bytes, neither 784 raw pixels nor a PNG or JPEG image");
    }

    /** A PNG or JPEG file's bytes. */
    public static Decoded fromImageFile(byte[] file) {
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(file));
        } catch (IOException | RuntimeException e) {
            return Decoded.failed("cannot be decoded (" + e.getMessage() + ")");
        }
        if (image == null) return Decoded.failed("not an image ImageIO can read (" + file.length + " bytes)");
        if (image.getWidth() != DigitSource.SIDE || image.getHeight() != DigitSource.SIDE)
            return Decoded.failed("is " + image.getWidth() + " x " + image.getHeight() + ", expected 28 x 28 (other sizes are refused, not resized)");
        byte[] pixels = new byte[DigitSource.PIXELS];
        java.awt.image.Raster raster = image.getRaster();
        boolean grey = image.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY;
        int bits = image.getColorModel().getComponentSize(0), max = (1 << bits) - 1;
        for (int y = 0; y < DigitSource.SIDE; y++)
            for (int x = 0; x < DigitSource.SIDE; x++) {
                int value;
                if (grey) { // the stored grey level: getRGB would convert Java's linear grey space to sRGB and brighten it
                    value = (int) Math.round(raster.getSample(x, y, 0) * 255.0 / max);
                } else {
                    int rgb = image.getRGB(x, y);
                    int r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
                    value = (int) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
                }
                pixels[y * DigitSource.SIDE + x] = (byte) value;
            }
        return Decoded.of(pixels);
    }

    /** 784 numbers: floating-point intensities in [0, 1], or integers in [0, 255]. */
    public static Decoded fromNumbers(java.util.List<?> values) {
        if (values == null) return Decoded.failed("no image (null)");
        if (values.size() != DigitSource.PIXELS) return Decoded.failed(values.size() + " numbers, expected 784");
        byte[] pixels = new byte[DigitSource.PIXELS];
        for (int i = 0; i < pixels.length; i++) {
            Object v = values.get(i);
            if (!(v instanceof Number n)) return Decoded.failed("value " + i + " is " + v + ", not a number");
            boolean integral = v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte;
            double d = n.doubleValue();
            if (integral ? d < 0 || d > 255 : !(d >= 0 && d <= 1))
                return Decoded.failed("value " + i + " is " + v + ", outside " + (integral ? "[0, 255]" : "[0, 1]"));
            pixels[i] = (byte) (integral ? (int) d : Math.round(d * 255));
        }
        return Decoded.of(pixels);
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (bytes[i] != prefix[i]) return false;
        return true;
    }
}
