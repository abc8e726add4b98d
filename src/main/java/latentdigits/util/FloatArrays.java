package latentdigits.util;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Network arrays in bulk: INDArray <-> float[] (ND4J's own accessors go element by element) and float[] <-> byte[]
 * (Java serialisation writes a byte[] in one go but a float[] one element at a time). The bytes are little-endian
 * whatever the machine, since they travel between JVMs.
 */
public final class FloatArrays {
    private FloatArrays() {
    }

    public static byte[] toBytes(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }

    public static float[] fromBytes(byte[] bytes) {
        float[] values = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    /** An array's values as bytes (null stays null). */
    public static byte[] bytes(INDArray array) {
        return array == null ? null : toBytes(floats(array));
    }

    /** Bulk copy out of native memory (DataBuffer.asFloat() reads element by element). */
    public static float[] floats(INDArray array) {
        if (array == null) return null;
        INDArray c = array.castTo(DataType.FLOAT).dup('c');
        float[] out = new float[(int) c.length()];
        c.data().asNioFloat().get(out);
        return out;
    }

    /** Adds {@code values} to {@code target}, element by element. */
    public static void addInto(float[] target, float[] values) {
        for (int i = 0; i < target.length; i++) target[i] += values[i];
    }

    /** A [1, n] float row holding {@code values}. */
    public static INDArray row(float[] values) {
        INDArray row = Nd4j.createUninitialized(DataType.FLOAT, 1, values.length);
        row.data().asNioFloat().put(values);
        return row;
    }

    /** Copies an array's values into {@code to} at {@code offset} (network parameters and updater state are contiguous float rows). */
    public static void read(INDArray from, float[] to, int offset) {
        if (from.dataType() == DataType.FLOAT && !from.isView() && from.ordering() == 'c') {
            from.data().asNioFloat().get(to, offset, (int) from.length());
        } else {
            float[] values = floats(from);
            System.arraycopy(values, 0, to, offset, values.length);
        }
    }

    /** Overwrites {@code to} with values [offset, offset + to.length()) of {@code from}. */
    public static void write(float[] from, int offset, INDArray to) {
        if (to.dataType() == DataType.FLOAT && !to.isView() && to.ordering() == 'c') {
            to.data().asNioFloat().put(from, offset, (int) to.length());
        } else {
            float[] values = java.util.Arrays.copyOfRange(from, offset, offset + (int) to.length());
            to.assign(row(values).reshape(to.shape()).castTo(to.dataType()));
        }
    }
}
