package latentdigits.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes tiny IDX files, well-formed or deliberately broken, for the reader's tests. */
public final class IdxWriter {
    private IdxWriter() {
    }

    public static byte[] idx(int magic, int[] dims, byte[] payload) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) out.writeInt(d);
        out.write(payload);
        return bytes.toByteArray();
    }

    public static Path write(Path dir, String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        if (name.endsWith(".gz")) {
            try (GZIPOutputStream gz = new GZIPOutputStream(Files.newOutputStream(p))) {
                gz.write(content);
            }
        } else {
            Files.write(p, content);
        }
        return p;
    }

    /** n images of 28x28 whose pixel j of image i is (i * 7 + j) mod 256, and labels i mod 10. */
    public static void mnistPair(Path dir, String prefix, int n, boolean gz) throws IOException {
        byte[] px = new byte[n * 784];
        for (int i = 0; i < n; i++) for (int j = 0; j < 784; j++) px[i * 784 + j] = (byte) ((i * 7 + j) % 256);
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
        String ext = gz ? ".gz" : "";
        write(dir, prefix + "-images-idx3-ubyte" + ext, idx(0x803, new int[]{n, 28, 28}, px));
        write(dir, prefix + "-labels-idx1-ubyte" + ext, idx(0x801, new int[]{n}, labels));
    }
}
