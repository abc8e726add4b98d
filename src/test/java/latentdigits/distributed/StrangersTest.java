package latentdigits.distributed;

import latentdigits.train.NetworkState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The project's own sockets against strangers: connections that send garbage, half a greeting, the wrong secret, a
 * proof for another stage, or nothing at all, and port scanners that connect and leave. Each is dropped; none delays
 * or changes what the real peers exchange.
 */
class StrangersTest {
    private static LinkSecurity security(byte secretByte, boolean encrypt) {
        byte[] secret = new byte[32];
        java.util.Arrays.fill(secret, secretByte);
        return new LinkSecurity(secret, encrypt, LinkSecurity.PortRange.parse("0", "ports"), 3000);
    }

    /** Every kind of stranger at once, on a port: returns the sockets to close after the real exchange. */
    private static List<Socket> strangers(int port, String purpose) throws Exception {
        List<Socket> open = new ArrayList<>();
        Socket silent = new Socket("127.0.0.1", port); // connects, never speaks
        open.add(silent);
        Socket garbage = new Socket("127.0.0.1", port);
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        garbage.getOutputStream().write(noise);
        open.add(garbage);
        Socket half = new Socket("127.0.0.1", port); // the start of a greeting, then silence
        half.getOutputStream().write("latent-digits li".getBytes(StandardCharsets.US_ASCII));
        open.add(half);
        new Socket("127.0.0.1", port).close(); // a port scanner
        CompletableFuture.runAsync(() -> { // the right protocol, the wrong secret
            assertThrows(IOException.class, () -> security((byte) 9, false).connect("127.0.0.1", port, purpose));
        }).get(10, TimeUnit.SECONDS);
        CompletableFuture.runAsync(() -> { // the right secret, another stage
            assertThrows(IOException.class, () -> security((byte) 1, false).connect("127.0.0.1", port, purpose + "-other"));
        }).get(10, TimeUnit.SECONDS);
        return open;
    }

    @ParameterizedTest(name = "encrypted: {0}")
    @ValueSource(booleans = {false, true})
    void theHubSumsWhatItsExecutorsSendWhateverStrangersDo(boolean encrypt) throws Exception {
        LinkSecurity security = security((byte) 1, encrypt);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (HubExchange.Server hub = new HubExchange.Server(1, 2, "all-reduce run/7", security, "127.0.0.1", 60_000)) {
            List<Socket> open = strangers(hub.port(), "all-reduce run/7");
            long start = System.nanoTime();
            Future<StageAllReduce.Sum> peer = pool.submit(() -> {
                try (HubExchange.Client client = HubExchange.Client.connect("127.0.0.1:" + hub.port(), "all-reduce run/7", security, 1, 60_000)) {
                    return client.exchange(new StageAllReduce.Sum(new float[]{10f, 20f}, 1));
                }
            });
            StageAllReduce.Sum atHub = hub.exchange(new StageAllReduce.Sum(new float[]{1f, 2f}, 1));
            StageAllReduce.Sum atPeer = peer.get(10, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertArrayEquals(new float[]{11f, 22f}, atHub.values());
            assertArrayEquals(new float[]{11f, 22f}, atPeer.values());
            assertEquals(2, atPeer.count());
            assertTrue(seconds < 2.5, "strangers delayed the exchange: " + seconds + " s (the handshake timeout is 3 s)");
            for (Socket s : open) s.close();
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "encrypted: {0}")
    @ValueSource(booleans = {false, true})
    void theDriverTakesPartitionZerosHandoverWhateverStrangersDo(boolean encrypt) throws Exception {
        LinkSecurity security = security((byte) 1, encrypt);
        NetworkState state = new NetworkState(new float[]{1f, 2f, 3f}, new float[]{4f}, 5);
        try (HandoverChannel.DriverEnd driver = new HandoverChannel.DriverEnd("127.0.0.1", "127.0.0.1", "run/8", security)) {
            List<Socket> open = strangers(driver.address().port(), driver.address().purpose());
            CompletableFuture<Boolean> task = CompletableFuture.supplyAsync(() -> {
                try (HandoverChannel.WorkerEnd worker = HandoverChannel.WorkerEnd.connect(driver.address(), security)) {
                    worker.send(new TrainingStage.Handover(0, 1.5, List.of(state)));
                    return worker.awaitGo();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long start = System.nanoTime();
            TrainingStage.Handover handover = driver.next(() -> null);
            assertTrue((System.nanoTime() - start) / 1e9 < 2.5, "strangers delayed the handover");
            assertArrayEquals(state.parameters(), handover.networks().get(0).parameters());
            assertArrayEquals(state.updaterState(), handover.networks().get(0).updaterState());
            assertEquals(5, handover.networks().get(0).iterations());
            driver.proceed();
            assertTrue(task.get(10, TimeUnit.SECONDS));
            for (Socket s : open) s.close();
        }
    }

    /**
     * A second connection that passes the handshake (a replayed task, say) cannot take partition 0's place. The driver
     * runs handshakes concurrently, so which of two connections made at once is admitted is a race: the second one
     * connects only after the driver has taken the first one's handover.
     */
    @Test
    void onlyOnePartitionZeroIsAdmitted() throws Exception {
        LinkSecurity security = security((byte) 1, false);
        try (HandoverChannel.DriverEnd driver = new HandoverChannel.DriverEnd("127.0.0.1", "127.0.0.1", "run/9", security);
             HandoverChannel.WorkerEnd first = HandoverChannel.WorkerEnd.connect(driver.address(), security)) {
            first.send(new TrainingStage.Handover(0, 1, List.of(new NetworkState(new float[]{1f}, null, 1))));
            assertArrayEquals(new float[]{1f}, driver.next(() -> null).networks().get(0).parameters());
            try (HandoverChannel.WorkerEnd second = HandoverChannel.WorkerEnd.connect(driver.address(), security)) {
                second.send(new TrainingStage.Handover(0, 1, List.of(new NetworkState(new float[]{2f}, null, 2))));
                driver.proceed();
                assertTrue(first.awaitGo());
                assertThrows(IOException.class, second::awaitGo, "the second was dropped");
            }
        }
    }

    /** Encrypted frames: what goes in comes out; a flipped bit, or a frame replayed, fails its tag. */
    @Test
    void encryptedFramesRoundTripAndRefuseTampering() throws Exception {
        byte[] key = new byte[32];
        new Random(3).nextBytes(key);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        OutputStream sealed = GcmStreams.encrypting(new DataOutputStream(wire), key);
        DataOutputStream out = new DataOutputStream(sealed);
        out.writeUTF("first message");
        out.flush();
        out.writeInt(42);
        out.flush();
        byte[] bytes = wire.toByteArray();
        assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains("first message"), "plaintext on the wire");
        DataInputStream in = new DataInputStream(GcmStreams.decrypting(new DataInputStream(new ByteArrayInputStream(bytes)), key));
        assertEquals("first message", in.readUTF());
        assertEquals(42, in.readInt());

        byte[] flipped = bytes.clone();
        flipped[10] ^= 1;
        InputStream tampered = GcmStreams.decrypting(new DataInputStream(new ByteArrayInputStream(flipped)), key);
        assertThrows(IOException.class, tampered::read);

        int firstFrame = 4 + java.nio.ByteBuffer.wrap(bytes).getInt();
        byte[] replayed = new byte[2 * firstFrame];
        System.arraycopy(bytes, 0, replayed, 0, firstFrame);
        System.arraycopy(bytes, 0, replayed, firstFrame, firstFrame);
        DataInputStream again = new DataInputStream(GcmStreams.decrypting(new DataInputStream(new ByteArrayInputStream(replayed)), key));
        assertEquals("first message", again.readUTF());
        assertThrows(IOException.class, again::readInt);
    }

    /** Ports pinned to a range: the server sockets take free ports of it, and say so when none is left. */
    @Test
    void serverSocketsStayInTheConfiguredRange() throws Exception {
        int base;
        try (ServerSocket probe = new ServerSocket(0)) {
            base = probe.getLocalPort();
        }
        LinkSecurity pinned = new LinkSecurity(new byte[32], false, LinkSecurity.PortRange.parse(base + "-" + (base + 1), "ports"), 1000);
        try (ServerSocket a = pinned.listen("127.0.0.1"); ServerSocket b = pinned.listen("127.0.0.1")) {
            assertTrue(a.getLocalPort() >= base && a.getLocalPort() <= base + 1);
            assertTrue(b.getLocalPort() >= base && b.getLocalPort() <= base + 1);
            assertEquals("127.0.0.1", a.getInetAddress().getHostAddress(), "bound to the given address, not the wildcard");
            IOException full = assertThrows(IOException.class, () -> pinned.listen("127.0.0.1"));
            assertTrue(full.getMessage().contains(LinkSecurity.PORTS_KEY), full.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> LinkSecurity.PortRange.parse("9-2", LinkSecurity.PORTS_KEY));
    }
}
