package latentdigits.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A compact block of digits: one unsigned byte per pixel and label, plus each image's index in its source file.
 * Blocks, not float arrays, are what Spark caches and ships: 784 bytes an image instead of 3 kB.
 */
public record DigitBlock(long[] indices, byte[] pixels, byte[] labels) implements Serializable {
    public static DigitBlock contiguous(long first, byte[] pixels, byte[] labels) {
        long[] indices = new long[labels.length];
        for (int i = 0; i < indices.length; i++) indices[i] = first + i;
        return new DigitBlock(indices, pixels, labels);
    }

    public int size() {
        return labels.length;
    }

    public int label(int i) {
        return labels[i] & 0xFF;
    }

    /** The images at the given positions of this block, in that order. */
    public DigitBlock select(int[] positions) {
        long[] idx = new long[positions.length];
        byte[] px = new byte[positions.length * DigitSource.PIXELS];
        byte[] lb = new byte[positions.length];
        for (int k = 0; k < positions.length; k++) {
            int p = positions[k];
            idx[k] = indices[p];
            System.arraycopy(pixels, p * DigitSource.PIXELS, px, k * DigitSource.PIXELS, DigitSource.PIXELS);
            lb[k] = labels[p];
        }
        return new DigitBlock(idx, px, lb);
    }

    public DigitBlock slice(int from, int to) {
        return new DigitBlock(Arrays.copyOfRange(indices, from, to),
                Arrays.copyOfRange(pixels, from * DigitSource.PIXELS, to * DigitSource.PIXELS),
                Arrays.copyOfRange(labels, from, to));
    }

    /** Pixels of images [from, to) as floats scaled by 1/255 and shifted: [0,1] for the VAE, [-1,1] for a tanh GAN. */
    public float[] scaledPixels(int from, int to, float low, float high) {
        float[] out = new float[(to - from) * DigitSource.PIXELS];
        float scale = (high - low) / 255f;
        int base = from * DigitSource.PIXELS;
        for (int i = 0; i < out.length; i++) out[i] = low + (pixels[base + i] & 0xFF) * scale;
        return out;
    }

    /** The first image with this label, or -1. */
    public int firstWithLabel(int digit) {
        for (int i = 0; i < labels.length; i++) if (label(i) == digit) return i;
        return -1;
    }
}
