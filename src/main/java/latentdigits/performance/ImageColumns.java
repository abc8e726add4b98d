package latentdigits.performance;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * How a 2-D convolution over a minibatch becomes one matrix product: an index table that says, for every row of the
 * column matrix (an input channel and kernel offset) and every position of one image, which element of the image it
 * reads (-1: padding, read as 0). The column matrix is {@code [rows, batch * positions]}, row-major, so the whole
 * minibatch is one product with the {@code [out channels, rows]} weight matrix, and its result is channel-major
 * ({@code [channels, batch * positions]}), which {@link #fromChannelMajor} turns back into NCHW with bulk copies.
 * <p>
 * The same table, read the other way, is a transposed convolution whose kernel equals its stride: each input
 * position writes its own {@code kernel x kernel} block, so {@link #scatterAdd} of the product is the whole layer.
 */
final class ImageColumns {
    final int rows;
    final int positions;
    /** Elements of one image on the table's side (input of a convolution, output of an upsampling). */
    final int imageSize;
    /**
     * The index table, as runs: positions are {@code runsPerRow} runs of {@code runLength} (an output row of the
     * convolution, an input row of the upsampling); in run {@code q} of row {@code r} position {@code k} reads image
     * element {@code runStart[r * runsPerRow + q] + k * step} when {@code runFrom[r] <= k < runTo[r]} and the run is not
     * {@link #PADDING} (else 0): index arithmetic instead of a lookup and a branch per element.
     */
    private final int runsPerRow, runLength, step;
    private final int[] runStart, runFrom, runTo;
    private static final int PADDING = Integer.MIN_VALUE;

    private ImageColumns(int rows, int positions, int imageSize, int runsPerRow, int runLength, int step,
                         int[] runStart, int[] runFrom, int[] runTo) {
        this.rows = rows;
        this.positions = positions;
        this.imageSize = imageSize;
        this.runsPerRow = runsPerRow;
        this.runLength = runLength;
        this.step = step;
        this.runStart = runStart;
        this.runFrom = runFrom;
        this.runTo = runTo;
    }

    /** A convolution of {@code channels x height x width} images; rows are (channel, ky, kx), positions (oy, ox). */
    static ImageColumns convolution(int channels, int height, int width, int kernel, int stride, int padding) {
        int outHeight = (height + 2 * padding - kernel) / stride + 1;
        int outWidth = (width + 2 * padding - kernel) / stride + 1;
        int rows = channels * kernel * kernel, positions = outHeight * outWidth;
        int[] runStart = new int[rows * outHeight], runFrom = new int[rows], runTo = new int[rows];
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < kernel; ky++)
                for (int kx = 0; kx < kernel; kx++) {
                    int row = (c * kernel + ky) * kernel + kx;
                    runFrom[row] = outWidth;
                    for (int oy = 0; oy < outHeight; oy++) {
                        int iy = oy * stride - padding + ky;
                        runStart[row * outHeight + oy] = iy >= 0 && iy < height ? (c * height + iy) * width - padding + kx : PADDING;
                        for (int ox = 0; ox < outWidth; ox++) {
                            int ix = ox * stride - padding + kx;
                            if (ix >= 0 && ix < width) {
                                runFrom[row] = Math.min(runFrom[row], ox);
                                runTo[row] = ox + 1;
                            }
                        }
                    }
                }
        return new ImageColumns(rows, positions, channels * height * width, outHeight, outWidth, stride, runStart, runFrom, runTo);
    }

    /**
     * A transposed convolution with kernel = stride from {@code height x width} inputs to {@code channels} output
     * maps {@code kernel} times larger; rows are (output channel, ky, kx), positions the input's (y, x).
     */
    static ImageColumns upsampling(int channels, int height, int width, int kernel) {
        int outHeight = height * kernel, outWidth = width * kernel;
        int rows = channels * kernel * kernel, positions = height * width;
        int[] runStart = new int[rows * height], runFrom = new int[rows], runTo = new int[rows];
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < kernel; ky++)
                for (int kx = 0; kx < kernel; kx++) {
                    int row = (c * kernel + ky) * kernel + kx;
                    runTo[row] = width;
                    for (int y = 0; y < height; y++)
                        runStart[row * height + y] = (c * outHeight + y * kernel + ky) * outWidth + kx;
                }
        return new ImageColumns(rows, positions, channels * outHeight * outWidth, height, width, kernel, runStart, runFrom, runTo);
    }

    boolean fits(int rows, int positions, int imageSize) {
        return this.rows == rows && this.positions == positions && this.imageSize == imageSize;
    }

    /**
     * {@code columns[r, n * P + p] = images[n * S + table[r, p]]} (0 where the table says -1), for n < batch. The
     * buffers are copied to and from heap arrays in bulk: indexed access to a direct buffer checks every index, which
     * made these loops several times slower.
     */
    void gather(Buffer images, Buffer columns, int batch) {
        int in = batch * imageSize, out = rows * batch * positions;
        if (images instanceof FloatBuffer from && columns instanceof FloatBuffer to) {
            float[] image = floats(0, in), column = floats(1, out);
            from.get(0, image, 0, in);
            for (int r = 0, o = 0; r < rows; r++) {
                int lo = runFrom[r], hi = runTo[r];
                for (int n = 0; n < batch; n++)
                    for (int q = 0; q < runsPerRow; q++, o += runLength) {
                        int start = runStart[r * runsPerRow + q];
                        if (start == PADDING) {
                            Arrays.fill(column, o, o + runLength, 0f);
                            continue;
                        }
                        int at = n * imageSize + start;
                        for (int k = 0; k < lo; k++) column[o + k] = 0f;
                        for (int k = lo; k < hi; k++) column[o + k] = image[at + k * step];
                        for (int k = hi; k < runLength; k++) column[o + k] = 0f;
                    }
            }
            to.put(0, column, 0, out);
        } else if (images instanceof DoubleBuffer from && columns instanceof DoubleBuffer to) {
            double[] image = doubles(0, in), column = doubles(1, out);
            from.get(0, image, 0, in);
            for (int r = 0, o = 0; r < rows; r++) {
                int lo = runFrom[r], hi = runTo[r];
                for (int n = 0; n < batch; n++)
                    for (int q = 0; q < runsPerRow; q++, o += runLength) {
                        int start = runStart[r * runsPerRow + q];
                        if (start == PADDING) {
                            Arrays.fill(column, o, o + runLength, 0.0);
                            continue;
                        }
                        int at = n * imageSize + start;
                        for (int k = 0; k < lo; k++) column[o + k] = 0.0;
                        for (int k = lo; k < hi; k++) column[o + k] = image[at + k * step];
                        for (int k = hi; k < runLength; k++) column[o + k] = 0.0;
                    }
            }
            to.put(0, column, 0, out);
        } else {
            throw new IllegalArgumentException("ImageColumns: expected two float or two double buffers, found " + images + " and " + columns);
        }
    }

    /**
     * {@code images[n * S + table[r, p]] += columns[r, n * P + p]} over zeroed images (the transpose of
     * {@link #gather}); every element of {@code images} is written.
     */
    void scatterAdd(Buffer columns, Buffer images, int batch) {
        int in = rows * batch * positions, out = batch * imageSize;
        if (columns instanceof FloatBuffer from && images instanceof FloatBuffer to) {
            float[] column = floats(1, in), image = floats(0, out);
            from.get(0, column, 0, in);
            Arrays.fill(image, 0, out, 0f);
            for (int r = 0, i = 0; r < rows; r++) {
                int lo = runFrom[r], hi = runTo[r];
                for (int n = 0; n < batch; n++)
                    for (int q = 0; q < runsPerRow; q++, i += runLength) {
                        int start = runStart[r * runsPerRow + q];
                        if (start == PADDING) continue;
                        int at = n * imageSize + start;
                        for (int k = lo; k < hi; k++) image[at + k * step] += column[i + k];
                    }
            }
            to.put(0, image, 0, out);
        } else if (columns instanceof DoubleBuffer from && images instanceof DoubleBuffer to) {
            double[] column = doubles(1, in), image = doubles(0, out);
            from.get(0, column, 0, in);
            Arrays.fill(image, 0, out, 0.0);
            for (int r = 0, i = 0; r < rows; r++) {
                int lo = runFrom[r], hi = runTo[r];
                for (int n = 0; n < batch; n++)
                    for (int q = 0; q < runsPerRow; q++, i += runLength) {
                        int start = runStart[r * runsPerRow + q];
                        if (start == PADDING) continue;
                        int at = n * imageSize + start;
                        for (int k = lo; k < hi; k++) image[at + k * step] += column[i + k];
                    }
            }
            to.put(0, image, 0, out);
        } else {
            throw new IllegalArgumentException("ImageColumns: expected two float or two double buffers, found " + columns + " and " + images);
        }
    }

    /** Heap copies kept across minibatches: 0 for images, 1 for columns. */
    private final float[][] floatCopies = new float[2][];
    private final double[][] doubleCopies = new double[2][];

    private float[] floats(int which, int length) {
        if (floatCopies[which] == null || floatCopies[which].length < length) floatCopies[which] = new float[length];
        return floatCopies[which];
    }

    private double[] doubles(int which, int length) {
        if (doubleCopies[which] == null || doubleCopies[which].length < length) doubleCopies[which] = new double[length];
        return doubleCopies[which];
    }

    /** {@code channelMajor[c, n * P + p] = nchw[n, c, p]}, one bulk copy per image and channel. */
    static void toChannelMajor(Buffer nchw, Buffer channelMajor, int batch, int channels, int positions) {
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                copy(nchw, (n * channels + c) * positions, channelMajor, (c * batch + n) * positions, positions);
    }

    /** {@code nchw[n, c, p] = channelMajor[c, n * P + p]}. */
    static void fromChannelMajor(Buffer channelMajor, Buffer nchw, int batch, int channels, int positions) {
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                copy(channelMajor, (c * batch + n) * positions, nchw, (n * channels + c) * positions, positions);
    }

    private static void copy(Buffer from, int fromIndex, Buffer to, int toIndex, int length) {
        if (from instanceof FloatBuffer f && to instanceof FloatBuffer t) t.put(toIndex, f, fromIndex, length);
        else if (from instanceof DoubleBuffer f && to instanceof DoubleBuffer t) t.put(toIndex, f, fromIndex, length);
        else throw new IllegalArgumentException("ImageColumns: expected two float or two double buffers, found " + from + " and " + to);
    }
}
