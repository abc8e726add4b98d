package latentdigits.distributed;

import latentdigits.train.NetworkState;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * How a training stage hands each epoch's networks to the driver while it runs: the task of partition 0 connects to a
 * socket the driver opened, sends a {@link TrainingStage.Handover} when an epoch ends and waits for the driver's
 * go-ahead (the driver scores the epoch, draws its figures and checkpoints it meanwhile). The other tasks need no
 * signal: they wait for partition 0 in the next round's all-reduce. Spark itself has no channel from a running task to
 * the driver (accumulators and results arrive when the task ends). Connections are admitted by {@link LinkSecurity};
 * what arrives is read as counts and floats, never deserialised as objects.
 */
final class HandoverChannel {
    private static final int GO = 1, STOP = 0;
    /** The most networks a trainer hands over (the GAN's two players). */
    private static final int MAX_NETWORKS = 2;
    /** How long partition 0 waits for the driver's answer: the driver's work on an epoch (scores, figures, checkpoint). */
    private static final int ANSWER_TIMEOUT_MS = 30 * 60 * 1000;

    private HandoverChannel() {
    }

    /** Where the driver listens, and for which stage; travels to the tasks in their closure. */
    record Address(String host, int port, String stage) implements Serializable {
        String purpose() {
            return "handover " + stage;
        }
    }

    /** The driver's end: a listening socket for one stage, bound to the driver's own address. */
    static final class DriverEnd implements AutoCloseable {
        private final Acceptor acceptor;
        private final Address address;
        private final CompletableFuture<SocketLink> partitionZero = new CompletableFuture<>();
        private CompletableFuture<TrainingStage.Handover> reading;

        /**
         * @param bindHost       the address the driver's Spark listens on
         * @param advertisedHost the address executors reach the driver at ({@code spark.driver.host})
         */
        DriverEnd(String bindHost, String advertisedHost, String stage, LinkSecurity security) throws IOException {
            Address planned = new Address(advertisedHost, 0, stage);
            this.acceptor = new Acceptor(security.listen(bindHost), security, planned.purpose(), "training stage's handover port (" + stage + ")",
                    link -> {
                        link.readTimeout(0); // an epoch may take hours; the stage's own state says when to give up
                        if (!partitionZero.complete(link)) throw new IOException("partition 0 of " + stage + " is connected already");
                    });
            this.address = new Address(advertisedHost, acceptor.port(), stage);
        }

        Address address() {
            return address;
        }

        /** The next handover, waiting as long as {@code failure} (checked every half second) says the stage still runs. */
        TrainingStage.Handover next(Supplier<RuntimeException> failure) throws IOException {
            SocketLink link = await(partitionZero, failure);
            if (reading == null) reading = CompletableFuture.supplyAsync(() -> {
                try {
                    return readHandover(link);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, runnable -> {
                Thread t = new Thread(runnable, "latent-digits handover reader");
                t.setDaemon(true);
                t.start();
            });
            try {
                return await(reading, failure);
            } finally {
                reading = null;
            }
        }

        /** Waits for {@code future} in half-second slices, giving up as soon as {@code failure} reports the stage ended. */
        private static <T> T await(CompletableFuture<T> future, Supplier<RuntimeException> failure) throws IOException {
            while (true) {
                try {
                    return future.get(500, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    RuntimeException failed = failure.get();
                    if (failed != null) throw failed;
                } catch (ExecutionException e) {
                    // partition 0's connection ended without a handover: its task failed, and so will the job
                    RuntimeException failed;
                    while ((failed = failure.get()) == null) sleep();
                    throw failed;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for the training stage", e);
                }
            }
        }

        private static void sleep() throws IOException {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the training stage", e);
            }
        }

        /** Lets partition 0 train the next epoch. */
        void proceed() throws IOException {
            SocketLink link = partitionZero.getNow(null);
            link.out.writeByte(GO);
            link.out.flush();
        }

        /** Tells partition 0 that no more epochs are wanted (the driver stopped early), so it ends without an error. */
        void stop() {
            SocketLink link = partitionZero.getNow(null);
            if (link == null) return;
            try {
                link.out.writeByte(STOP);
                link.out.flush();
            } catch (IOException ignored) {
                // the task is gone already
            }
        }

        @Override
        public void close() {
            acceptor.close();
            if (!partitionZero.complete(null)) {
                SocketLink link = partitionZero.getNow(null);
                if (link != null) link.close();
            }
        }
    }

    /** Partition 0's end. */
    static final class WorkerEnd implements AutoCloseable {
        private final SocketLink link;

        private WorkerEnd(SocketLink link) {
            this.link = link;
        }

        static WorkerEnd connect(Address address, LinkSecurity security) throws IOException {
            SocketLink link = security.connect(address.host(), address.port(), address.purpose());
            link.readTimeout(ANSWER_TIMEOUT_MS);
            return new WorkerEnd(link);
        }

        void send(TrainingStage.Handover handover) throws IOException {
            link.out.writeInt(handover.index());
            link.out.writeDouble(handover.fitSeconds());
            link.out.writeInt(handover.networks().size());
            for (NetworkState network : handover.networks()) {
                link.out.writeInt(network.iterations());
                link.writeFloats(network.parameters());
                link.out.writeBoolean(network.updaterState() != null);
                if (network.updaterState() != null) link.writeFloats(network.updaterState());
            }
            link.out.flush();
        }

        /** Blocks until the driver is done with the last handover: true to train the next epoch, false to stop. */
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

    private static TrainingStage.Handover readHandover(SocketLink link) throws IOException {
        int index = link.in.readInt();
        double fitSeconds = link.in.readDouble();
        int count = link.in.readInt();
        if (count < 1 || count > MAX_NETWORKS)
            throw new IOException("handover: expected 1 to " + MAX_NETWORKS + " networks, found " + count);
        List<NetworkState> networks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int iterations = link.in.readInt();
            float[] parameters = link.readFloats(HubExchange.MAX_FLOATS);
            networks.add(new NetworkState(parameters, link.in.readBoolean() ? link.readFloats(HubExchange.MAX_FLOATS) : null, iterations));
        }
        return new TrainingStage.Handover(index, fitSeconds, networks);
    }
}
