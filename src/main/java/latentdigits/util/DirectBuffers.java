package latentdigits.util;

import java.nio.Buffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An array's native memory as a java.nio buffer, from the array's first element: {@code data().asNioFloat()} starts
 * at the start of the underlying allocation, not at a view's offset; {@code addressPointer()} does start there.
 */
public final class DirectBuffers {
    private DirectBuffers() {
    }

    /** Whether {@code x} is one dense run of memory, in the order {@code x.ordering()} says. */
    public static boolean contiguous(INDArray x) {
        if (x.length() == 0) return false;
        long[] shape = x.shape(), stride = x.stride();
        long expected = 1;
        boolean c = x.ordering() == 'c';
        for (int k = 0; k < shape.length; k++) {
            int d = c ? shape.length - 1 - k : k; // innermost dimension first
            if (shape[d] == 1) continue; // a dimension of size 1 may have any stride
            if (stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    public static FloatBuffer floats(INDArray contiguous) {
        requireContiguous(contiguous, DataType.FLOAT);
        return new FloatPointer(contiguous.data().addressPointer()).capacity(contiguous.length()).asBuffer();
    }

    /**
     * A contiguous float array's values on the heap, in its memory order. Loops over heap arrays run several times
     * faster than over a direct buffer's get and put, so element-wise work copies in and out in bulk.
     */
    public static float[] read(INDArray contiguous) {
        float[] values = new float[(int) contiguous.length()];
        floats(contiguous).get(0, values);
        return values;
    }

    /** {@link #read(INDArray)} into an array the caller keeps (its length at least the array's). */
    public static float[] read(INDArray contiguous, float[] into) {
        floats(contiguous).get(0, into, 0, (int) contiguous.length());
        return into;
    }

    /** Overwrites a contiguous float array with {@code values}, in its memory order. */
    public static void write(float[] values, INDArray contiguous) {
        floats(contiguous).put(0, values);
    }

    /** A float or double array as a FloatBuffer or DoubleBuffer. */
    public static Buffer of(INDArray contiguous) {
        if (contiguous.dataType() == DataType.FLOAT) return floats(contiguous);
        requireContiguous(contiguous, DataType.DOUBLE);
        return new DoublePointer(contiguous.data().addressPointer()).capacity(contiguous.length()).asBuffer();
    }

    private static void requireContiguous(INDArray x, DataType type) {
        if (x.dataType() != type || !contiguous(x))
            throw new IllegalArgumentException("expected a contiguous " + type + " array, found " + x.dataType() + " " + x.shapeInfoToString());
    }
}
