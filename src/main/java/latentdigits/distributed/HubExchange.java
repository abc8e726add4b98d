package latentdigits.distributed;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * The executors' part of a round's all-reduce: a star around the executor that runs partition 0. Each other executor
 * sends its partial sum and receives the total. One connection per executor stays open for the whole stage.
 */
abstract class HubExchange implements AutoCloseable {
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
            this.socket.setSoTimeout(SocketLink.TIMEOUT_MS);
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
            SocketLink.closeQuietly(socket);
        }
    }

    static final class Client extends HubExchange {
        private final Link link;

        private Client(Link link) {
            this.link = link;
        }

        /** @param firstPartition the lowest partition this executor runs: the hub adds partial sums in that order */
        static Client connect(String hostPort, String runId, int firstPartition) throws IOException {
            int colon = hostPort.lastIndexOf(':');
            Link link = new Link(SocketLink.connect(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))));
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
    private static final class Link extends SocketLink {
        private int firstPartition;

        Link(Socket socket) throws IOException {
            super(socket);
        }

        void write(StageAllReduce.Sum sum) throws IOException {
            out.writeInt(sum.count());
            out.writeDouble(sum.score());
            if (sum.count() > 0) writeFloats(sum.values());
            out.flush();
        }

        StageAllReduce.Sum read() throws IOException {
            int count = in.readInt();
            double score = in.readDouble();
            if (count == 0) return StageAllReduce.Sum.NONE;
            return new StageAllReduce.Sum(readFloats(), score, count);
        }
    }
}
