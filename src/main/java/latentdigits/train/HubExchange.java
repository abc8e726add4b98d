package latentdigits.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * The executors' part of a round's all-reduce: a star around the executor that runs partition 0. Each other executor
 * sends its partial sum and receives the total. One connection per executor stays open for the whole stage.
 */
abstract class HubExchange implements AutoCloseable {
    /** No answer for this long means a peer died without Spark noticing yet. */
    private static final int TIMEOUT_MS = 10 * 60 * 1000;

    abstract StageAllReduce.Sum exchange(StageAllReduce.Sum partial) throws IOException;

    @Override
    public abstract void close();

    /** "host:port" of an executor in BarrierTaskInfo -> its host. */
    static String host(String address) {
        int colon = address.lastIndexOf(':');
        return colon < 0 ? address : address.substring(0, colon);
    }

    static final class Server extends HubExchange {
        private final ServerSocket socket;
        private final int peers;
        private final String runId;
        private final List<Link> links = new ArrayList<>();

        Server(int peers, String runId) throws IOException {
            this.socket = new ServerSocket(0);
            this.socket.setSoTimeout(TIMEOUT_MS);
            this.peers = peers;
            this.runId = runId;
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        StageAllReduce.Sum exchange(StageAllReduce.Sum partial) throws IOException {
            while (links.size() < peers) { // the peers connect once, right after learning the address
                Link link = new Link(socket.accept());
                String hello = link.in.readUTF();
                if (!hello.equals(runId)) {
                    link.close();
                    throw new IOException("unexpected connection to the averaging hub (said '" + hello + "', expected run " + runId + ")");
                }
                link.firstPartition = link.in.readInt();
                links.add(link);
                links.sort(java.util.Comparator.comparingInt(l -> l.firstPartition)); // a fixed order of addition
            }
            StageAllReduce.Sum total = partial;
            for (Link link : links) total = total.plus(link.read());
            for (Link link : links) link.write(total);
            return total;
        }

        @Override
        public void close() {
            links.forEach(Link::close);
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    static final class Client extends HubExchange {
        private final Link link;

        private Client(Link link) {
            this.link = link;
        }

        /** @param firstPartition the lowest partition this executor runs: the hub adds partial sums in that order */
        static Client connect(String hostPort, String runId, int firstPartition) throws IOException {
            Socket socket = new Socket();
            int colon = hostPort.lastIndexOf(':');
            socket.connect(new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))), TIMEOUT_MS);
            Link link = new Link(socket);
            link.out.writeUTF(runId);
            link.out.writeInt(firstPartition);
            link.out.flush();
            return new Client(link);
        }

        @Override
        StageAllReduce.Sum exchange(StageAllReduce.Sum partial) throws IOException {
            link.write(partial);
            return link.read();
        }

        @Override
        public void close() {
            link.close();
        }
    }

    /** One socket carrying sums: count, score, then the floats as length-prefixed bytes. */
    private static final class Link {
        private final Socket socket;
        private final DataInputStream in;
        private final DataOutputStream out;
        private int firstPartition;

        Link(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        }

        void write(StageAllReduce.Sum sum) throws IOException {
            out.writeInt(sum.count());
            out.writeDouble(sum.score());
            if (sum.count() > 0) {
                byte[] bytes = FloatArrays.toBytes(sum.values());
                out.writeInt(bytes.length);
                out.write(bytes);
            }
            out.flush();
        }

        StageAllReduce.Sum read() throws IOException {
            int count = in.readInt();
            double score = in.readDouble();
            if (count == 0) return StageAllReduce.Sum.NONE;
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            return new StageAllReduce.Sum(FloatArrays.fromBytes(bytes), score, count);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }
}
