package latentdigits.distributed;

import latentdigits.util.FloatArrays;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * One admitted TCP connection between the JVMs of a training stage (executor to executor for the all-reduce,
 * partition 0 to the driver for the epoch handovers), made by {@link LinkSecurity}: data streams (encrypted when the
 * cluster encrypts), no Nagle delay, and a read timeout, so a peer that died without Spark noticing yet does not hang
 * the stage forever.
 */
final class SocketLink implements AutoCloseable {
    /** How long a read waits for a peer unless the link is given its own timeout (the all-reduce uses the stage's). */
    static final int TIMEOUT_MS = 2 * 60 * 1000;
    /** A peer that does not accept within this long is unreachable (a firewall dropping packets, say). */
    private static final int CONNECT_TIMEOUT_MS = 60 * 1000;

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;

    SocketLink(Socket socket, DataInputStream in, DataOutputStream out) {
        this.socket = socket;
        this.in = in;
        this.out = out;
    }

    static Socket connect(String host, int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
        return socket;
    }

    /** Floats as a count and little-endian bytes, unflushed. */
    void writeFloats(float[] values) throws IOException {
        out.writeInt(values.length);
        out.write(FloatArrays.toBytes(values));
    }

    /** Floats written by {@link #writeFloats}; a count above {@code max} is refused before anything is allocated. */
    float[] readFloats(int max) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > max) throw new IOException("expected at most " + max + " floats, the peer announced " + count);
        byte[] bytes = new byte[count * Float.BYTES];
        in.readFully(bytes);
        return FloatArrays.fromBytes(bytes);
    }

    /** Sets how long a read waits (0: for ever; the caller then watches the peer some other way). */
    void readTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }
}
