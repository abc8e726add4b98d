package latentdigits.distributed;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The executors' part of a round's all-reduce: a star around the executor that runs partition 0. Each other executor
 * sends its partial sum and receives the total. One admitted connection per executor stays open for the whole stage.
 */
abstract class HubExchange implements AutoCloseable {
    /** The longest array a sum may carry (a network's parameters or Adam state are far smaller). */
    static final int MAX_FLOATS = GcmStreams.MAX_FRAME / Float.BYTES - 64;

    abstract StageAllReduce.Sum exchange(StageAllReduce.Sum partial) throws IOException;

    @Override
    public abstract void close();

    /** "host:port" of an executor in BarrierTaskInfo -> its host. */
    static String host(String address) {
        int colon = address.lastIndexOf(':');
        return colon < 0 ? address : address.substring(0, colon);
    }

    static final class Server extends HubExchange {
        private final Acceptor acceptor;
        private final int peers;
        private final long timeoutMillis;
        /** Admitted peers by the lowest partition their executor runs: the order partial sums are added in. */
        private final Map<Integer, SocketLink> byFirstPartition = new TreeMap<>();
        private List<SocketLink> links;

        /**
         * Listens on {@code bindHost} (this executor's own address) for {@code peers} executors.
         *
         * @param partitions the stage's partitions: a peer must name one of them, and each only once
         */
        Server(int peers, int partitions, String purpose, LinkSecurity security, String bindHost, long timeoutMillis) throws IOException {
            this.peers = peers;
            this.timeoutMillis = timeoutMillis;
            this.acceptor = new Acceptor(security.listen(bindHost), security, purpose, "all-reduce hub (" + purpose + ")", link -> {
                int first = link.in.readInt();
                link.readTimeout((int) timeoutMillis);
                synchronized (this) {
                    if (first < 1 || first >= partitions || byFirstPartition.containsKey(first) || byFirstPartition.size() == peers)
                        throw new IOException("an executor announced partition " + first + ", expected a new one of 1-" + (partitions - 1));
                    byFirstPartition.put(first, link);
                    notifyAll();
                }
            });
        }

        int port() {
            return acceptor.port();
        }

        @Override
        StageAllReduce.Sum exchange(StageAllReduce.Sum partial) throws IOException {
            if (links == null) links = awaitPeers();
            StageAllReduce.Sum total = partial;
            for (SocketLink link : links) total = total.plus(read(link));
            for (SocketLink link : links) write(link, total);
            return total;
        }

        /** The peers connect once, right after learning the hub's address. */
        private synchronized List<SocketLink> awaitPeers() throws IOException {
            long deadline = System.currentTimeMillis() + timeoutMillis;
            while (byFirstPartition.size() < peers) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0)
                    throw new IOException("all-reduce hub: " + byFirstPartition.size() + " of " + peers + " executors connected within "
                            + timeoutMillis / 1000 + " s");
                try {
                    wait(Math.min(left, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("all-reduce hub: interrupted waiting for the executors", e);
                }
            }
            return new ArrayList<>(byFirstPartition.values());
        }

        @Override
        public void close() {
            acceptor.close();
            synchronized (this) {
                byFirstPartition.values().forEach(SocketLink::close);
            }
        }
    }

    static final class Client extends HubExchange {
        private final SocketLink link;

        private Client(SocketLink link) {
            this.link = link;
        }

        /** @param firstPartition the lowest partition this executor runs: the hub adds partial sums in that order */
        static Client connect(String hostPort, String purpose, LinkSecurity security, int firstPartition, long timeoutMillis) throws IOException {
            int colon = hostPort.lastIndexOf(':');
            SocketLink link = security.connect(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)), purpose);
            link.readTimeout((int) timeoutMillis);
            link.out.writeInt(firstPartition);
            link.out.flush();
            return new Client(link);
        }

        @Override
        StageAllReduce.Sum exchange(StageAllReduce.Sum partial) throws IOException {
            write(link, partial);
            return read(link);
        }

        @Override
        public void close() {
            link.close();
        }
    }

    /** A sum on the wire: count, then the floats. */
    static void write(SocketLink link, StageAllReduce.Sum sum) throws IOException {
        link.out.writeInt(sum.count());
        if (sum.count() > 0) link.writeFloats(sum.values());
        link.out.flush();
    }

    static StageAllReduce.Sum read(SocketLink link) throws IOException {
        int count = link.in.readInt();
        if (count < 0) throw new IOException("all-reduce: a peer sent a sum over " + count + " tasks");
        if (count == 0) return StageAllReduce.Sum.NONE;
        return new StageAllReduce.Sum(link.readFloats(MAX_FLOATS), count);
    }
}
