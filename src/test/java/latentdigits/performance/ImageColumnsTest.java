package latentdigits.performance;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The float gather and scatter against the definition of im2col and its transpose, written out naively here: the same
 * values, and the same sums in the same order, to the bit; on direct buffers (as the layers pass) that start as NaN, so
 * an element left unwritten shows.
 */
class ImageColumnsTest {

    /** The image element that row r (channel, ky, kx) and position p (oy, ox) of a convolution read, or -1 (padding). */
    private static int source(int r, int p, int height, int width, int kernel, int stride, int padding, int outWidth) {
        int c = r / (kernel * kernel), ky = r / kernel % kernel, kx = r % kernel, oy = p / outWidth, ox = p % outWidth;
        int iy = oy * stride - padding + ky, ix = ox * stride - padding + kx;
        return iy >= 0 && iy < height && ix >= 0 && ix < width ? (c * height + iy) * width + ix : -1;
    }

    private static float[] random(int n, long seed) {
        Random random = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }

    @ParameterizedTest
    @CsvSource({"3, 14, 14, 4, 2, 1", "2, 7, 9, 3, 1, 1", "1, 28, 28, 4, 2, 1", "2, 6, 5, 2, 2, 0", "1, 5, 5, 3, 1, 2"})
    void convolutionColumnsAreTheDefinitionsToTheBit(int channels, int height, int width, int kernel, int stride, int padding) {
        int batch = 3;
        int outHeight = (height + 2 * padding - kernel) / stride + 1, outWidth = (width + 2 * padding - kernel) / stride + 1;
        ImageColumns columns = ImageColumns.convolution(channels, height, width, kernel, stride, padding);
        int rows = channels * kernel * kernel, positions = outHeight * outWidth, imageSize = channels * height * width;

        float[] images = random(batch * imageSize, 1);
        float[] expected = new float[rows * batch * positions];
        for (int r = 0, o = 0; r < rows; r++)
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < positions; p++, o++) {
                    int at = source(r, p, height, width, kernel, stride, padding, outWidth);
                    expected[o] = at < 0 ? 0f : images[n * imageSize + at];
                }
        FloatBuffer gathered = unwritten(expected.length);
        columns.gather(direct(images), gathered, batch);
        assertArrayEquals(expected, values(gathered), "gather");

        float[] cols = random(rows * batch * positions, 2);
        float[] sums = new float[batch * imageSize];
        for (int r = 0, i = 0; r < rows; r++)
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < positions; p++, i++) {
                    int at = source(r, p, height, width, kernel, stride, padding, outWidth);
                    if (at >= 0) sums[n * imageSize + at] += cols[i];
                }
        FloatBuffer scattered = unwritten(sums.length);
        columns.scatterAdd(direct(cols), scattered, batch);
        assertArrayEquals(sums, values(scattered), "scatterAdd");
    }

    @ParameterizedTest
    @CsvSource({"2, 7, 7, 2", "1, 14, 14, 2", "3, 4, 5, 3"})
    void upsamplingBlocksAreTheDefinitionsToTheBit(int channels, int height, int width, int kernel) {
        int batch = 2, rows = channels * kernel * kernel, positions = height * width;
        int outHeight = height * kernel, outWidth = width * kernel, imageSize = channels * outHeight * outWidth;
        ImageColumns blocks = ImageColumns.upsampling(channels, height, width, kernel);
        float[] cols = random(rows * batch * positions, 3);
        float[] expected = new float[batch * imageSize];
        for (int r = 0, i = 0; r < rows; r++)
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < positions; p++, i++) {
                    int c = r / (kernel * kernel), ky = r / kernel % kernel, kx = r % kernel, y = p / width, x = p % width;
                    expected[n * imageSize + (c * outHeight + y * kernel + ky) * outWidth + x * kernel + kx] += cols[i];
                }
        FloatBuffer images = unwritten(expected.length);
        blocks.scatterAdd(direct(cols), images, batch);
        assertArrayEquals(expected, values(images), "scatterAdd");
        FloatBuffer back = unwritten(cols.length);
        blocks.gather(direct(expected), back, batch);
        float[] again = new float[cols.length];
        for (int r = 0, o = 0; r < rows; r++)
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < positions; p++, o++) {
                    int c = r / (kernel * kernel), ky = r / kernel % kernel, kx = r % kernel, y = p / width, x = p % width;
                    again[o] = expected[n * imageSize + (c * outHeight + y * kernel + ky) * outWidth + x * kernel + kx];
                }
        assertArrayEquals(again, values(back), "gather");
    }

    /** A direct float buffer in native order holding {@code values}. */
    private static FloatBuffer direct(float[] values) {
        FloatBuffer buffer = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        buffer.put(0, values);
        return buffer;
    }

    /** A direct buffer of NaNs: an element the code under test leaves unwritten shows. */
    private static FloatBuffer unwritten(int length) {
        float[] nan = new float[length];
        Arrays.fill(nan, Float.NaN);
        return direct(nan);
    }

    private static float[] values(FloatBuffer buffer) {
        float[] v = new float[buffer.capacity()];
        buffer.get(0, v);
        return v;
    }
}
