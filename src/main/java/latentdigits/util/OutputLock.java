package latentdigits.util;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One writer per output: a lock file beside it ({@code .NAME.lock}), created atomically (a create that fails if the
 * file exists, on every Hadoop file system), naming its holder (host, process, start) and renewed every
 * {@value #RENEW_SECONDS} s while the job runs. A second attempt at the same output (an Airflow retry while the first
 * still runs) is refused at once, naming the holder; a lock whose holder is gone (a killed driver) is taken over: its
 * process is dead (same host), or it was not renewed for {@link #staleSeconds} seconds.
 */
public final class OutputLock implements AutoCloseable {
    static final int RENEW_SECONDS = 10;
    /** The system property that shortens how long an unrenewed lock is respected (tests). */
    public static final String STALE_PROPERTY = "latentdigits.lock.staleSeconds";
    private final FileSystem fs;
    private final Path path;
    private final ScheduledExecutorService renewer;

    private OutputLock(FileSystem fs, Path path) {
        this.fs = fs;
        this.path = path;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "latent-digits output lock");
            t.setDaemon(true);
            return t;
        });
        renewer.scheduleAtFixedRate(() -> {
            try {
                fs.setTimes(path, System.currentTimeMillis(), -1);
            } catch (IOException ignored) {
                // renewed at the next tick; a lock left unrenewed long enough is taken over, which only a hung job risks
            }
        }, RENEW_SECONDS, RENEW_SECONDS, TimeUnit.SECONDS);
    }

    /** Takes the lock of {@code target} ({@code flag} names the output in the error), or refuses, naming its holder. */
    public static OutputLock acquire(FileSystem fs, Path target, String flag) throws IOException {
        Path path = new Path(target.getParent(), "." + target.getName() + ".lock");
        String me = holder();
        for (int attempt = 0; attempt < 2; attempt++) {
            if (createNew(fs, path, me)) return new OutputLock(fs, path);
            String held = read(fs, path);
            if (!stale(fs, path, held)) {
                long age = (System.currentTimeMillis() - fs.getFileStatus(path).getModificationTime()) / 1000;
                throw new JobFailure(flag + " " + target + ": another attempt is writing it (" + held.trim() + ", renewed " + age
                        + " s ago); this one leaves it alone");
            }
            fs.delete(path, false); // its holder is gone
        }
        throw new JobFailure(flag + " " + target + ": another attempt took its lock at the same moment; this one leaves it alone");
    }

    /** Creates the file with {@code content} if it does not exist, atomically; false if it exists. */
    private static boolean createNew(FileSystem fs, Path path, String content) throws IOException {
        if (fs instanceof org.apache.hadoop.fs.LocalFileSystem local) { // Hadoop's local create checks, then creates
            try {
                java.nio.file.Files.writeString(local.pathToFile(path).toPath(), content, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        try (FSDataOutputStream out = fs.create(path, false)) { // atomic on HDFS
            out.write(content.getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (fs.exists(path)) return false;
            throw e;
        }
    }

    private static String holder() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown";
        }
        return "host " + host + " pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n";
    }

    private static String read(FileSystem fs, Path path) {
        try (InputStream in = fs.open(path)) {
            return new String(in.readNBytes(512), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Its holder's process is gone (same host), or it was not renewed for {@link #staleSeconds} seconds. */
    private static boolean stale(FileSystem fs, Path path, String held) throws IOException {
        String[] words = held.trim().split(" ");
        try {
            String myHost = InetAddress.getLocalHost().getHostName();
            if (words.length >= 4 && words[0].equals("host") && words[1].equals(myHost) && words[2].equals("pid")) {
                long pid = Long.parseLong(words[3]);
                return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
            }
        } catch (IOException | NumberFormatException ignored) {
            // judged by its age below
        }
        FileStatus status = fs.getFileStatus(path);
        return System.currentTimeMillis() - status.getModificationTime() > staleSeconds() * 1000L;
    }

    static long staleSeconds() {
        return Long.getLong(STALE_PROPERTY, 6L * RENEW_SECONDS);
    }

    @Override
    public void close() {
        renewer.shutdownNow();
        try {
            fs.delete(path, false);
        } catch (IOException ignored) {
            // a lock left behind is stale once its holder is gone
        }
    }
}
