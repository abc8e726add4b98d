package latentdigits.train;

import latentdigits.util.FloatArrays;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything needed to continue a run exactly after its epoch {@link #epoch}: every network's parameters, updater state
 * (Adam's moments) and step count; the driver's random stream where the next epoch takes it up (the workers' streams,
 * the shuffles and the stages' epoch seeds are functions of the seed and the epoch, so they need no state); and the
 * metrics so far. Written by the {@link TrainingLoop} after every epoch, in a binary format of its own: counts and
 * floats, every count checked before anything is allocated.
 *
 * @param rngRoot    the driver's ND4J random generator state (root), as {@code Nd4j.getRandom().rootState()} gives it
 * @param rngNode    and its node state
 * @param metricRows metrics.jsonl's lines for epochs 1 to {@code epoch}
 */
public record Checkpoint(int epoch, long rngRoot, long rngNode, List<NetworkState> networks, List<String> metricRows) {
    private static final byte[] MAGIC = "latent-digits checkpoint 1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_NETWORKS = 8, MAX_ROWS = 1_000_000, MAX_FLOATS = 1 << 28;

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeInt(epoch);
            out.writeLong(rngRoot);
            out.writeLong(rngNode);
            out.writeInt(networks.size());
            for (NetworkState n : networks) {
                out.writeInt(n.iterations());
                writeFloats(out, n.parameters());
                out.writeBoolean(n.updaterState() != null);
                if (n.updaterState() != null) writeFloats(out, n.updaterState());
            }
            out.writeInt(metricRows.size());
            for (String row : metricRows) {
                byte[] utf8 = row.getBytes(StandardCharsets.UTF_8);
                out.writeInt(utf8.length);
                out.write(utf8);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
    }

    /** Reads a checkpoint; {@code source} names it in the error if it is not one (a truncated or foreign file). */
    public static Checkpoint fromBytes(byte[] bytes, String source) throws IOException {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) throw new IOException("not a latent-digits checkpoint");
            int epoch = in.readInt();
            long root = in.readLong(), node = in.readLong();
            int count = bounded(in.readInt(), MAX_NETWORKS, "networks");
            List<NetworkState> networks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int iterations = in.readInt();
                float[] parameters = readFloats(in);
                networks.add(new NetworkState(parameters, in.readBoolean() ? readFloats(in) : null, iterations));
            }
            int rows = bounded(in.readInt(), MAX_ROWS, "metric rows");
            List<String> metricRows = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                byte[] utf8 = new byte[bounded(in.readInt(), 1 << 20, "bytes in a metrics row")];
                in.readFully(utf8);
                metricRows.add(new String(utf8, StandardCharsets.UTF_8));
            }
            if (in.read() != -1) throw new IOException("unexpected bytes after the checkpoint");
            if (epoch < 1 || rows != epoch) throw new IOException("epoch " + epoch + " with " + rows + " metric rows");
            return new Checkpoint(epoch, root, node, networks, metricRows);
        } catch (IOException e) {
            throw new IOException(source + ": not a complete checkpoint (" + e.getMessage() + ")", e);
        }
    }

    private static int bounded(int value, int max, String what) throws IOException {
        if (value < 0 || value > max) throw new IOException(value + " " + what + " (expected 0 to " + max + ")");
        return value;
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        out.write(FloatArrays.toBytes(values));
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        byte[] bytes = new byte[bounded(in.readInt(), MAX_FLOATS, "floats") * Float.BYTES];
        in.readFully(bytes);
        return FloatArrays.fromBytes(bytes);
    }
}
