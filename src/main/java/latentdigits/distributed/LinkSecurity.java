package latentdigits.distributed;

import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How the project's own sockets (the all-reduce hub, the epoch handover) admit a peer. Every connection starts with a
 * mutual challenge-response: each side sends a fresh random nonce and proves it holds the run's secret with an
 * HMAC-SHA256 over both nonces and the connection's purpose (which run, stage and socket it is for), so the secret never
 * crosses the wire, a recorded handshake cannot be replayed, and a connection meant for another stage is refused. A
 * peer that does not finish the handshake within {@link #handshakeMillis} is dropped. When the Spark cluster encrypts
 * its own traffic ({@code spark.network.crypto.enabled} or {@code spark.ssl.enabled}), everything after the handshake
 * is encrypted too ({@link GcmStreams}, with keys derived from the secret and both nonces).
 * <p>
 * The secret is drawn on the driver for each training run and reaches the executors in the task closure, that is over
 * Spark's own channel, which Spark authenticates and encrypts when the cluster is configured to.
 *
 * @param ports where server sockets may listen ({@value #PORTS_KEY}), for firewalls
 */
record LinkSecurity(byte[] secret, boolean encrypt, PortRange ports, int handshakeMillis) implements Serializable {
    private static final Logger LOG = LoggerFactory.getLogger(LinkSecurity.class);
    /** The Spark setting that pins the project's server sockets to a port range, e.g. "40000-40099". */
    static final String PORTS_KEY = "spark.latentdigits.ports";
    static final int HANDSHAKE_MILLIS = 10_000;
    private static final byte[] MAGIC = "latent-digits link 1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE_BYTES = 32, MAC_BYTES = 32;

    /** This run's settings: a fresh secret; encryption and ports as the Spark configuration says. */
    static LinkSecurity forRun(SparkConf conf) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        boolean encrypt = conf.getBoolean("spark.network.crypto.enabled", false) || conf.getBoolean("spark.ssl.enabled", false);
        return new LinkSecurity(secret, encrypt, PortRange.parse(conf.get(PORTS_KEY, "0"), PORTS_KEY), HANDSHAKE_MILLIS);
    }

    /** A server socket on {@code bindHost} at a port of {@link #ports}. */
    ServerSocket listen(String bindHost) throws IOException {
        InetAddress address = InetAddress.getByName(bindHost);
        if (ports.any()) {
            ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(address, 0));
            return server;
        }
        int span = ports.last() - ports.first() + 1, start = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = ports.first() + (start + i) % span;
            ServerSocket server = new ServerSocket();
            try {
                server.bind(new InetSocketAddress(address, port));
                return server;
            } catch (BindException taken) {
                server.close();
            }
        }
        throw new BindException(PORTS_KEY + ": every port of " + ports + " on " + bindHost + " is in use");
    }

    /** The server's half of the handshake on a freshly accepted socket; throws, naming why, if the peer fails it. */
    SocketLink accept(Socket socket, String purpose) throws IOException {
        return handshake(socket, purpose, true);
    }

    /** Connects to {@code host:port} and completes the client's half of the handshake. */
    SocketLink connect(String host, int port, String purpose) throws IOException {
        Socket socket = SocketLink.connect(host, port);
        try {
            return handshake(socket, purpose, false);
        } catch (IOException | RuntimeException e) {
            SocketLink.closeQuietly(socket);
            throw e;
        }
    }

    private SocketLink handshake(Socket socket, String purpose, boolean server) throws IOException {
        socket.setSoTimeout(handshakeMillis);
        socket.setTcpNoDelay(true);
        DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        byte[] mine = new byte[NONCE_BYTES];
        new SecureRandom().nextBytes(mine);
        out.write(MAGIC);
        out.write(mine);
        out.flush();
        byte[] magic = new byte[MAGIC.length], theirs = new byte[NONCE_BYTES];
        in.readFully(magic);
        if (!MessageDigest.isEqual(magic, MAGIC)) throw new IOException("not a latent-digits peer (wrong greeting)");
        in.readFully(theirs);
        byte[] serverNonce = server ? mine : theirs, clientNonce = server ? theirs : mine;
        if (server) {
            expect(in, mac("client-proof", purpose, serverNonce, clientNonce), purpose);
            out.write(mac("server-proof", purpose, serverNonce, clientNonce));
            out.flush();
        } else {
            out.write(mac("client-proof", purpose, serverNonce, clientNonce));
            out.flush();
            expect(in, mac("server-proof", purpose, serverNonce, clientNonce), purpose);
        }
        socket.setSoTimeout(SocketLink.TIMEOUT_MS);
        if (!encrypt) return new SocketLink(socket, in, out);
        byte[] clientToServer = mac("client-to-server key", purpose, serverNonce, clientNonce);
        byte[] serverToClient = mac("server-to-client key", purpose, serverNonce, clientNonce);
        InputStream decrypted = GcmStreams.decrypting(in, server ? clientToServer : serverToClient);
        OutputStream encrypted = GcmStreams.encrypting(out, server ? serverToClient : clientToServer);
        return new SocketLink(socket, new DataInputStream(decrypted), new DataOutputStream(encrypted));
    }

    private static void expect(DataInputStream in, byte[] expected, String purpose) throws IOException {
        byte[] proof = new byte[MAC_BYTES];
        in.readFully(proof);
        if (!MessageDigest.isEqual(proof, expected))
            throw new IOException("the peer does not hold this run's secret, or is for another socket than " + purpose);
    }

    /** HMAC-SHA256 keyed with the run's secret over a label, the connection's purpose and both nonces. */
    private byte[] mac(String label, String purpose, byte[] serverNonce, byte[] clientNonce) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
            hmac.update((label + "\n" + purpose + "\n").getBytes(StandardCharsets.UTF_8));
            hmac.update(serverNonce);
            hmac.update(clientNonce);
            return hmac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** Logs a connection that was dropped (a stranger, a port scanner, a peer of another run): it changes nothing. */
    static void dropped(Socket socket, String what, Exception why) {
        String reason = why instanceof java.io.EOFException ? "closed before finishing the handshake"
                : why instanceof java.net.SocketTimeoutException ? "did not finish the handshake in time"
                : why.getMessage() == null ? why.getClass().getSimpleName() : why.getMessage();
        LOG.warn("dropped a connection from {} to the {}: {}", socket == null ? "?" : socket.getRemoteSocketAddress(), what, reason);
        if (socket != null) SocketLink.closeQuietly(socket);
    }

    /** A range of TCP ports, or "any" (0: the system's choice). */
    record PortRange(int first, int last) implements Serializable {
        static PortRange parse(String value, String key) {
            String v = value.trim();
            try {
                if (v.equals("0") || v.isEmpty()) return new PortRange(0, 0);
                int dash = v.indexOf('-');
                PortRange r = dash < 0 ? new PortRange(Integer.parseInt(v), Integer.parseInt(v))
                        : new PortRange(Integer.parseInt(v.substring(0, dash).trim()), Integer.parseInt(v.substring(dash + 1).trim()));
                if (r.first < 1 || r.last > 65535 || r.first > r.last) throw new NumberFormatException();
                return r;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--conf " + key + ": expected 0 (any port) or FROM-TO within 1-65535, found '" + value + "'");
            }
        }

        boolean any() {
            return first == 0;
        }

        @Override
        public String toString() {
            return any() ? "any port" : first + "-" + last;
        }
    }
}
