package latentdigits.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** float[] <-> byte[] in bulk: Java serialisation writes a byte[] in one go but a float[] one element at a time. */
final class FloatArrays {
    private FloatArrays() {
    }

    static byte[] toBytes(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.nativeOrder());
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }

    static float[] fromBytes(byte[] bytes) {
        float[] values = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).asFloatBuffer().get(values);
        return values;
    }

    /** Bulk copy of a float array's values (network parameters and updater state are contiguous float rows). */
    static void read(INDArray from, float[] to, int offset) {
        if (from.dataType() == DataType.FLOAT && !from.isView() && from.ordering() == 'c') {
            from.data().asNioFloat().get(to, offset, (int) from.length());
        } else {
            float[] values = AveragingTrainingMaster.floats(from);
            System.arraycopy(values, 0, to, offset, values.length);
        }
    }

    static void write(float[] from, int offset, INDArray to) {
        if (to.dataType() == DataType.FLOAT && !to.isView() && to.ordering() == 'c') {
            to.data().asNioFloat().put(from, offset, (int) to.length());
        } else {
            float[] values = java.util.Arrays.copyOfRange(from, offset, offset + (int) to.length());
            to.assign(AveragingTrainingMaster.row(values).reshape(to.shape()).castTo(to.dataType()));
        }
    }

}
