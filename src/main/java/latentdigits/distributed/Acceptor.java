package latentdigits.distributed;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Accepts connections on one of the project's server sockets in the background. Each connection is admitted by
 * {@link LinkSecurity}'s handshake on a thread of its own, so a peer that stalls its handshake (a port scanner, a
 * connection that never speaks) holds up no one; an admitted link goes to {@link Admit}, anything else is dropped and
 * logged. A burst of more than {@value #MAX_HANDSHAKES} simultaneous handshakes is dropped at once.
 */
final class Acceptor implements AutoCloseable {
    /** What to do with an admitted link; throwing drops it (with the message logged). */
    interface Admit {
        void admit(SocketLink link) throws IOException;
    }

    private static final int MAX_HANDSHAKES = 64;
    private final ServerSocket server;
    private final ThreadPoolExecutor handshakes;
    private final Thread loop;
    private volatile boolean closed;

    /** @param what names the socket in log lines, e.g. "training stage's handover port" */
    Acceptor(ServerSocket server, LinkSecurity security, String purpose, String what, Admit admit) {
        this.server = server;
        this.handshakes = new ThreadPoolExecutor(0, MAX_HANDSHAKES, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
            Thread t = new Thread(runnable, "latent-digits handshake");
            t.setDaemon(true);
            return t;
        });
        this.loop = new Thread(() -> {
            while (!closed) {
                Socket socket;
                try {
                    socket = server.accept();
                } catch (IOException e) {
                    if (!closed) LinkSecurity.dropped(null, what, e);
                    return;
                }
                try {
                    handshakes.execute(() -> {
                        SocketLink link = null;
                        try {
                            link = security.accept(socket, purpose);
                            admit.admit(link);
                        } catch (IOException | RuntimeException e) {
                            LinkSecurity.dropped(socket, what, e);
                        }
                    });
                } catch (RejectedExecutionException busy) {
                    LinkSecurity.dropped(socket, what, new IOException("too many handshakes at once"));
                }
            }
        }, "latent-digits accept " + server.getLocalPort());
        loop.setDaemon(true);
        loop.start();
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() {
        closed = true;
        SocketLink.closeQuietly(server);
        handshakes.shutdownNow();
    }
}
