package latentdigits.distributed;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;

/**
 * AES-256-GCM over a socket's streams, one authenticated frame per flush: a frame is its length, then the ciphertext
 * and tag. Each direction of a connection has its own key (derived in the handshake from the run's secret and both
 * sides' fresh nonces), so a frame counter is a safe IV; a frame that was altered, replayed or reordered fails its tag.
 */
final class GcmStreams {
    /** The largest frame either side accepts: more than any message of the project (a network's state). */
    static final int MAX_FRAME = 256 << 20;
    private static final int TAG_BITS = 128;

    private GcmStreams() {
    }

    static OutputStream encrypting(DataOutputStream out, byte[] key) {
        return new Encrypting(out, key);
    }

    static InputStream decrypting(DataInputStream in, byte[] key) {
        return new Decrypting(in, key);
    }

    private static Cipher cipher(int mode, byte[] key, long counter) throws IOException {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            byte[] iv = ByteBuffer.allocate(12).putInt(0).putLong(counter).array();
            cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, iv));
            return cipher;
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM is not available in this JVM", e);
        }
    }

    private static final class Encrypting extends OutputStream {
        private final DataOutputStream out;
        private final byte[] key;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream(1 << 16);
        private long counter;

        Encrypting(DataOutputStream out, byte[] key) {
            this.out = out;
            this.key = key;
        }

        @Override
        public void write(int b) {
            pending.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            if (pending.size() == 0) {
                out.flush();
                return;
            }
            if (pending.size() > MAX_FRAME - 16) throw new IOException("message of " + pending.size() + " bytes exceeds a frame");
            try {
                byte[] sealed = cipher(Cipher.ENCRYPT_MODE, key, counter++).doFinal(pending.toByteArray());
                out.writeInt(sealed.length);
                out.write(sealed);
                out.flush();
            } catch (GeneralSecurityException e) {
                throw new IOException("encryption failed", e);
            } finally {
                pending.reset();
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    private static final class Decrypting extends InputStream {
        private final DataInputStream in;
        private final byte[] key;
        private long counter;
        private byte[] frame = new byte[0];
        private int position;

        Decrypting(DataInputStream in, byte[] key) {
            this.in = in;
            this.key = key;
        }

        /** Reads and opens the next frame; false at the end of the stream. */
        private boolean nextFrame() throws IOException {
            int length;
            try {
                length = in.readInt();
            } catch (EOFException e) {
                return false;
            }
            if (length < 16 || length > MAX_FRAME) throw new IOException("encrypted frame of " + length + " bytes (expected 16 to " + MAX_FRAME + ")");
            byte[] sealed = new byte[length];
            in.readFully(sealed);
            try {
                frame = cipher(Cipher.DECRYPT_MODE, key, counter++).doFinal(sealed);
            } catch (GeneralSecurityException e) {
                throw new IOException("an encrypted frame failed its authentication tag (altered, replayed or from another peer)");
            }
            position = 0;
            return true;
        }

        @Override
        public int read() throws IOException {
            while (position >= frame.length) if (!nextFrame()) return -1;
            return frame[position++] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (position >= frame.length) if (!nextFrame()) return -1;
            int n = Math.min(len, frame.length - position);
            System.arraycopy(frame, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            return frame.length - position;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
