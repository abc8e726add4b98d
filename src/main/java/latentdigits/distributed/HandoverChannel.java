package latentdigits.distributed;

import latentdigits.train.NetworkState;

import java.io.IOException;
import java.io.Serializable;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * How a training stage hands each epoch's networks to the driver while it runs: the task of partition 0 connects to a
 * socket the driver opened, sends a {@link TrainingStage.Handover} when an epoch ends and waits for the driver's
 * go-ahead (the driver scores the epoch, draws its figures and checkpoints it meanwhile). The other tasks need no
 * signal: they wait for partition 0 in the next round's all-reduce. Spark itself has no channel from a running task to
 * the driver (accumulators and results arrive when the task ends).
 */
final class HandoverChannel {
    private static final int GO = 1, STOP = 0;
    /** The most networks a trainer hands over (the GAN's two players). */
    private static final int MAX_NETWORKS = 2;

    private HandoverChannel() {
    }

    /** Where the driver listens, and the stage it listens for; travels to the tasks in their closure. */
    record Address(String host, int port, String stage) implements Serializable {
    }

    /** The driver's end: a listening socket for one stage. */
    static final class DriverEnd implements AutoCloseable {
        private final ServerSocket server;
        private final Address address;
        private Link link;

        DriverEnd(String driverHost, String stage) throws IOException {
            this.server = new ServerSocket(0);
            this.address = new Address(driverHost, server.getLocalPort(), stage);
        }

        Address address() {
            return address;
        }

        /** The next handover, waiting as long as {@code failure} (checked every half second) says the stage still runs. */
        TrainingStage.Handover next(Supplier<RuntimeException> failure) throws IOException {
            if (link == null) link = accept(failure);
            return link.readHandover(failure);
        }

        /** Lets partition 0 train the next epoch. */
        void proceed() throws IOException {
            link.out.writeByte(GO);
            link.out.flush();
        }

        /** Tells partition 0 that no more epochs are wanted (the driver stopped early), so it ends without an error. */
        void stop() {
            if (link == null) return;
            try {
                link.out.writeByte(STOP);
                link.out.flush();
            } catch (IOException ignored) {
                // the task is gone already
            }
        }

        private Link accept(Supplier<RuntimeException> failure) throws IOException {
            server.setSoTimeout(500);
            while (true) {
                RuntimeException failed = failure.get();
                if (failed != null) throw failed;
                Link candidate;
                try {
                    candidate = new Link(server.accept());
                } catch (SocketTimeoutException e) {
                    continue; // no connection yet: check the stage again
                }
                try {
                    if (candidate.in.readUTF().equals(address.stage())) return candidate;
                } catch (IOException e) {
                    // closed before saying which stage it belongs to: as good as a stray connection
                }
                candidate.close();
            }
        }

        @Override
        public void close() {
            if (link != null) link.close();
            SocketLink.closeQuietly(server);
        }
    }

    /** Partition 0's end. */
    static final class WorkerEnd implements AutoCloseable {
        private final Link link;

        private WorkerEnd(Link link) {
            this.link = link;
        }

        static WorkerEnd connect(Address address) throws IOException {
            Link link = new Link(SocketLink.connect(address.host(), address.port()));
            link.out.writeUTF(address.stage());
            link.out.flush();
            return new WorkerEnd(link);
        }

        void send(TrainingStage.Handover handover) throws IOException {
            link.writeHandover(handover);
        }

        /** Blocks until the driver is done with the last report: true to train the next epoch, false to stop. */
        boolean awaitGo() throws IOException {
            int answer = link.in.read();
            if (answer == GO || answer == STOP) return answer == GO;
            throw new IOException(answer < 0 ? "the driver closed the connection" : "unexpected answer " + answer + " from the driver");
        }

        @Override
        public void close() {
            link.close();
        }
    }

    private static final class Link extends SocketLink {
        Link(Socket socket) throws IOException {
            super(socket);
        }

        void writeHandover(TrainingStage.Handover h) throws IOException {
            out.writeInt(h.index());
            out.writeDouble(h.fitSeconds());
            out.writeInt(h.networks().size());
            for (NetworkState network : h.networks()) {
                out.writeInt(network.iterations());
                writeFloats(network.parameters());
                out.writeBoolean(network.updaterState() != null);
                if (network.updaterState() != null) writeFloats(network.updaterState());
            }
            out.flush();
        }

        /** Waits for a handover's first byte in short slices (checking the stage), then reads the rest at once. */
        TrainingStage.Handover readHandover(Supplier<RuntimeException> failure) throws IOException {
            socket.setSoTimeout(500);
            int first;
            while (true) {
                try {
                    first = in.read(); // a timeout here consumes nothing
                    break;
                } catch (SocketTimeoutException e) {
                    RuntimeException failed = failure.get();
                    if (failed != null) throw failed;
                }
            }
            while (first < 0) { // partition 0 ended without a report: its task failed, and so will the job
                RuntimeException failed = failure.get();
                if (failed != null) throw failed;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for the training stage", e);
                }
            }
            socket.setSoTimeout(SocketLink.TIMEOUT_MS);
            int index = (first << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            double fitSeconds = in.readDouble();
            int count = in.readInt();
            if (count < 1 || count > MAX_NETWORKS)
                throw new IOException("handover: expected 1 to " + MAX_NETWORKS + " networks, found " + count);
            List<NetworkState> networks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int iterations = in.readInt();
                float[] parameters = readFloats();
                networks.add(new NetworkState(parameters, in.readBoolean() ? readFloats() : null, iterations));
            }
            return new TrainingStage.Handover(index, fitSeconds, networks);
        }
    }
}
