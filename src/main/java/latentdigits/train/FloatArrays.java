package latentdigits.train;

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
}
