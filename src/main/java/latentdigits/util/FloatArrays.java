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
        return DirectBuffers.read(array.castTo(DataType.FLOAT).dup('c'));
    }

    /** Adds {@code values} to {@code target}, element by element. */
    public static void addInto(float[] target, float[] values) {
        for (int i = 0; i < target.length; i++) target[i] += values[i];
    }

    /** A [1, n] float row holding {@code values}. */
    public static INDArray row(float[] values) {
        INDArray row = Nd4j.createUninitialized(DataType.FLOAT, 1, values.length);
        DirectBuffers.write(values, row);
        return row;
    }

    /**
     * {@code a} on top of {@code b} as one C-order float matrix, copied in Java: ND4J's concat of two small matrices of
     * different orders (D's real and generated images) took a tenth of a GAN step (docs/experiments/speed.md).
     */
    public static INDArray stackRows(INDArray a, INDArray b) {
        if (a.rank() != 2 || b.rank() != 2 || a.columns() != b.columns())
            throw new IllegalArgumentException("stackRows: expected two matrices with as many columns, found " + java.util.Arrays.toString(a.shape())
                    + " and " + java.util.Arrays.toString(b.shape()));
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[]{a.rows() + b.rows(), a.columns()}, 'c');
        java.nio.FloatBuffer to = DirectBuffers.floats(out);
        to.put(0, DirectBuffers.floats(rowMajor(a)), 0, (int) a.length());
        to.put((int) a.length(), DirectBuffers.floats(rowMajor(b)), 0, (int) b.length());
        return out;
    }

    /**
     * {@code x} as dense float memory in row-major order: itself (a C-order matrix, or a vector in either order), its
     * transpose copied by {@link #inOrder}, or a copy.
     */
    public static INDArray rowMajor(INDArray x) {
        INDArray c = inOrder(x, 'c');
        boolean rowMajor = c.ordering() == 'c' || c.rows() == 1 || c.columns() == 1;
        return c.dataType() == DataType.FLOAT && rowMajor && DirectBuffers.contiguous(c) ? c : x.castTo(DataType.FLOAT).dup('c');
    }

    /**
     * {@code x} laid out in {@code order} ('c' or 'f'): itself when it already is, else a copy made in Java. ND4J's
     * element-wise ops between a C-order and an F-order matrix take a slow general path (the VAE's labels against its
     * F-order logits cost more than the loss's arithmetic); a same-order pair takes the fast one.
     */
    public static INDArray inOrder(INDArray x, char order) {
        if (x.ordering() == order || x.rank() != 2 || x.rows() == 1 || x.columns() == 1) return x;
        if (x.dataType() != DataType.FLOAT || !DirectBuffers.contiguous(x)) return x.dup(order);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), order);
        float[] from = DirectBuffers.read(x), to = new float[from.length];
        // element (r, c) sits at r * columns + c in C order and at c * rows + r in F order
        int rows = x.rows(), columns = x.columns();
        if (order == 'f') {
            for (int r = 0, i = 0; r < rows; r++)
                for (int c = 0; c < columns; c++, i++) to[c * rows + r] = from[i];
        } else {
            for (int c = 0, i = 0; c < columns; c++)
                for (int r = 0; r < rows; r++, i++) to[r * columns + c] = from[i];
        }
        DirectBuffers.write(to, out);
        return out;
    }

    /** Copies an array's values into {@code to} at {@code offset} (network parameters and updater state are contiguous float rows). */
    public static void read(INDArray from, float[] to, int offset) {
        if (from.dataType() == DataType.FLOAT && from.ordering() == 'c' && DirectBuffers.contiguous(from)) {
            DirectBuffers.floats(from).get(0, to, offset, (int) from.length());
        } else {
            float[] values = floats(from);
            System.arraycopy(values, 0, to, offset, values.length);
        }
    }

    /** Overwrites {@code to} with values [offset, offset + to.length()) of {@code from}. */
    public static void write(float[] from, int offset, INDArray to) {
        if (to.dataType() == DataType.FLOAT && to.ordering() == 'c' && DirectBuffers.contiguous(to)) {
            DirectBuffers.floats(to).put(0, from, offset, (int) to.length());
        } else {
            float[] values = java.util.Arrays.copyOfRange(from, offset, offset + (int) to.length());
            to.assign(row(values).reshape(to.shape()).castTo(to.dataType()));
        }
    }
}
