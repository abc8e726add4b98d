package latentdigits.data;

import java.io.Serializable;

/**
 * One image to encode, as any input gives it: a stable id (a file and record, a path, or an id column's value), its
 * position in the input (which seeds the loss's sampling noise, so a rerun repeats), its label if known (-1 if not),
 * and either its 784 grey bytes or why it cannot be encoded.
 */
public record DigitRecord(String id, long position, int label, byte[] pixels, String problem) implements Serializable {
    public static final int UNLABELLED = -1;

    public static DigitRecord good(String id, long position, int label, byte[] pixels) {
        return new DigitRecord(id, position, label, pixels, null);
    }

    public static DigitRecord bad(String id, long position, String problem) {
        return new DigitRecord(id, position, UNLABELLED, null, problem);
    }

    public boolean isBad() {
        return problem != null;
    }
}
