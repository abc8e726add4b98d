package latentdigits.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The validated header of an unsigned-byte IDX file (LeCun's MNIST format): magic 0x00000800 + rank, then one big-endian
 * int per dimension. Only the unsigned-byte element type is accepted, because that is what MNIST and our samples use.
 */
public record IdxHeader(String file, int rank, int[] dims, boolean gzipped) implements Serializable {
    public static final int UNSIGNED_BYTE = 0x08;

    public int count() {
        return dims[0];
    }

    /** Bytes of one record: the product of every dimension after the first (1 for labels, rows*cols for images). */
    public int recordSize() {
        int size = 1;
        for (int i = 1; i < dims.length; i++) size *= dims[i];
        return size;
    }

    public long headerBytes() {
        return 4L + 4L * rank;
    }

    public long expectedFileBytes() {
        return headerBytes() + (long) count() * recordSize();
    }

    public int magic() {
        return (UNSIGNED_BYTE << 8) | rank;
    }

    public String describe() {
        return "magic " + magic() + ", dims " + Arrays.toString(dims);
    }
}
