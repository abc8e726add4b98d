package latentdigits.distributed;

import latentdigits.util.FloatArrays;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * One TCP connection between the JVMs of a training stage (executor to executor for the all-reduce, partition 0 to
 * the driver for the epochs' reports): buffered data streams, no Nagle delay, and a read timeout long enough for any
 * round, so a peer that died without Spark noticing yet does not hang the stage forever.
 */
class SocketLink implements AutoCloseable {
    static final int TIMEOUT_MS = 10 * 60 * 1000;
    /** A peer that does not accept within this long is unreachable (a firewall dropping packets, say). */
    private static final int CONNECT_TIMEOUT_MS = 60 * 1000;

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;

    SocketLink(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
    }

    static Socket connect(String host, int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
        return socket;
    }

    /** Floats as length-prefixed little-endian bytes, unflushed. */
    void writeFloats(float[] values) throws IOException {
        byte[] bytes = FloatArrays.toBytes(values);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    float[] readFloats() throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return FloatArrays.fromBytes(bytes);
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
