package latentdigits.data;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way an input may hold a digit gives the same 784 bytes, and every way it may be wrong says how. */
class DigitImagesTest {
    static byte[] digit(long seed) {
        byte[] pixels = new byte[784];
        new Random(seed).nextBytes(pixels);
        return pixels;
    }

    static byte[] encoded(byte[] pixels, String format, int type) throws Exception {
        BufferedImage image = new BufferedImage(28, 28, type);
        for (int i = 0; i < 784; i++) {
            int v = pixels[i] & 0xFF;
            if (type == BufferedImage.TYPE_BYTE_GRAY) image.getRaster().setSample(i % 28, i / 28, 0, v);
            else image.setRGB(i % 28, i / 28, (v << 16) | (v << 8) | v);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), format);
        return out.toByteArray();
    }

    @Test
    void rawBytesGreyPngAndColourPngGiveTheSamePixels() throws Exception {
        byte[] pixels = digit(1);
        assertArrayEquals(pixels, DigitImages.fromBytes(pixels).pixels());
        assertArrayEquals(pixels, DigitImages.fromBytes(encoded(pixels, "png", BufferedImage.TYPE_BYTE_GRAY)).pixels(),
                "a grey PNG's stored levels, not Java's sRGB rendering of them");
        assertArrayEquals(pixels, DigitImages.fromBytes(encoded(pixels, "png", BufferedImage.TYPE_INT_RGB)).pixels(),
                "grey drawn in colour: luminance of r = g = b is the level itself");
    }

    @Test
    void jpegIsDecodedLossilyButCloseAndNumbersExactly() throws Exception {
        byte[] pixels = new byte[784];
        for (int i = 0; i < 784; i++) pixels[i] = (byte) ((i % 28) * 9); // smooth: JPEG keeps it within a few levels
        byte[] decoded = DigitImages.fromBytes(encoded(pixels, "jpg", BufferedImage.TYPE_BYTE_GRAY)).pixels();
        for (int i = 0; i < 784; i++) assertEquals(pixels[i] & 0xFF, decoded[i] & 0xFF, 12, "pixel " + i);
        List<Object> floats = new ArrayList<>(), ints = new ArrayList<>();
        byte[] random = digit(2);
        for (byte b : random) {
            floats.add((b & 0xFF) / 255f);
            ints.add(b & 0xFF);
        }
        assertArrayEquals(random, DigitImages.fromNumbers(floats).pixels());
        assertArrayEquals(random, DigitImages.fromNumbers(ints).pixels());
    }

    @Test
    void whatIsWrongIsSaid() throws Exception {
        BufferedImage big = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(big, "png", png);
        assertProblem(DigitImages.fromBytes(png.toByteArray()), "is 32 x 32, expected 28 x 28");
        byte[] truncated = java.util.Arrays.copyOf(encoded(digit(3), "png", BufferedImage.TYPE_BYTE_GRAY), 60);
        DigitImages.Decoded broken = DigitImages.fromBytes(truncated);
        assertNull(broken.pixels());
        assertTrue(broken.problem().contains("decoded") || broken.problem().contains("not an image"), broken.problem());
        assertProblem(DigitImages.fromBytes(new byte[100]), "100 bytes, neither 784 raw pixels nor a PNG or JPEG image");
        assertProblem(DigitImages.fromBytes(null), "no image (null)");
        assertProblem(DigitImages.fromNumbers(List.of(1, 2)), "2 numbers, expected 784");
        List<Object> bad = new ArrayList<>(java.util.Collections.nCopies(784, (Object) 0.5));
        bad.set(7, 1.5);
        assertProblem(DigitImages.fromNumbers(bad), "value 7 is 1.5, outside [0, 1]");
        List<Object> tooBright = new ArrayList<>(java.util.Collections.nCopies(784, (Object) 3));
        tooBright.set(9, 256);
        assertProblem(DigitImages.fromNumbers(tooBright), "value 9 is 256, outside [0, 255]");
    }

    private static void assertProblem(DigitImages.Decoded d, String expected) {
        assertNull(d.pixels());
        assertTrue(d.problem().contains(expected), "expected '" + expected + "', found '" + d.problem() + "'");
    }
}
