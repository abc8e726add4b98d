package latentdigits.util;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * A job's output directory, written in a staging directory beside it ({@code .NAME.partial}) and renamed into place
 * only when the job succeeds, so a scheduler never sees half a run; one job at a time ({@link OutputLock}). Every file in it is written under a temporary name
 * and renamed when complete. A training run's checkpoints ({@code checkpoint/epoch-NNNNN.bin}) stay in the staging
 * directory when the job fails or is killed, so the same command with {@code --resume} continues it. Works on any
 * Hadoop file system.
 */
public final class RunDirectory implements AutoCloseable {
    private static final String CHECKPOINTS = "checkpoint";
    private final Path target;
    private final Path staging;
    private final FileSystem fs;
    private final OutputLock lock;
    private final List<String> metricLines = new ArrayList<>();
    private boolean replaceFinished, owned, committed, kept;

    private RunDirectory(Path target, FileSystem fs, OutputLock lock) {
        this.target = target;
        this.staging = new Path(target.getParent(), "." + target.getName() + ".partial");
        this.fs = fs;
        this.lock = lock;
    }

    /**
     * Opens {@code out} for this job alone: its file system must be known and its parent writable (checked before any
     * work), and its lock ({@link OutputLock}) is held until {@link #close()}. What to do with a finished or an
     * unfinished run already there is the caller's decision ({@link #finished()}, {@link #unfinishedEpochs()}).
     */
    public static RunDirectory open(String out, Configuration conf) throws IOException {
        Path target = new Path(out);
        FileSystem fs = HadoopFs.forOutput(target, "--out", conf);
        target = fs.makeQualified(target);
        if (target.getParent() == null) throw new UserError("--out " + out + ": expected a directory below a parent, found the root");
        HadoopFs.requireWritable(fs, target.getParent(), "--out", target);
        return new RunDirectory(target, fs, OutputLock.acquire(fs, target, "--out"));
    }

    /** True when {@code out} holds a finished run (or anything else). */
    public boolean finished() throws IOException {
        return fs.exists(target);
    }

    /** A file of the finished run, or null when it has none. */
    public byte[] readFinished(String relative) throws IOException {
        Path p = new Path(target, relative);
        if (!fs.exists(p)) return null;
        try (InputStream in = fs.open(p)) {
            return in.readAllBytes();
        }
    }

    /** The last epoch an unfinished run in the staging directory checkpointed, or null when there is none. */
    public Integer unfinishedEpochs() throws IOException {
        if (!fs.exists(staging)) return null;
        List<FileStatus> all = checkpoints();
        return all.isEmpty() ? null : epochOf(all.get(all.size() - 1).getPath());
    }

    /** Starts with an empty staging directory (a previous attempt's leftovers removed); {@code replace}: the finished run too, at commit. */
    public void startFresh(boolean replace) throws IOException {
        if (fs.exists(staging)) fs.delete(staging, true);
        fs.mkdirs(staging);
        replaceFinished = replace;
        owned = true;
    }

    /** Continues the unfinished run in the staging directory. */
    public void continueUnfinished() {
        owned = true;
    }

    /** A file of the unfinished run in the staging directory, or null when it has none. */
    public byte[] readUnfinished(String relative) throws IOException {
        Path p = resolve(relative);
        if (!fs.exists(p)) return null;
        try (InputStream in = fs.open(p)) {
            return in.readAllBytes();
        }
    }

    public String finalPath() {
        return target.toString();
    }

    public String stagingPath() {
        return staging.toString();
    }

    public Path resolve(String relative) {
        return new Path(staging, relative);
    }

    /** Removes {@code relative} (a file or a directory) from the staging directory. */
    public void delete(String relative) throws IOException {
        fs.delete(resolve(relative), true);
    }

    /** A stream into {@code relative} for output too large to hold in memory; the file appears when it is closed. */
    public OutputStream create(String relative) throws IOException {
        Path p = resolve(relative), tmp = temporary(p);
        fs.mkdirs(p.getParent());
        OutputStream out = fs.create(tmp, true);
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                super.close();
                replace(tmp, p);
            }
        };
    }

    /** Writes {@code relative} under a temporary name and renames it into place. */
    public void writeBytes(String relative, byte[] bytes) throws IOException {
        Path p = resolve(relative), tmp = temporary(p);
        fs.mkdirs(p.getParent());
        try (OutputStream out = fs.create(tmp, true)) {
            out.write(bytes);
        }
        replace(tmp, p);
    }

    private static Path temporary(Path p) {
        return new Path(p.getParent(), "." + p.getName() + ".tmp-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** Renames {@code tmp} to {@code p}, replacing it (Hadoop's rename does not overwrite). */
    private void replace(Path tmp, Path p) throws IOException {
        if (fs.exists(p)) fs.delete(p, false);
        if (!fs.rename(tmp, p)) throw new IOException("cannot rename " + tmp + " to " + p);
    }

    public void writeText(String relative, String text) throws IOException {
        writeBytes(relative, text.getBytes(StandardCharsets.UTF_8));
    }

    public boolean exists(String relative) throws IOException {
        return fs.exists(resolve(relative));
    }

    public void writePng(String relative, BufferedImage image) throws IOException {
        writeBytes(relative, png(image));
    }

    public static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", bytes)) throw new IOException("no PNG writer available");
        return bytes.toByteArray();
    }

    /** Rewrites metrics.jsonl with one more line; a file of a few kB, so rewriting beats relying on append support. */
    public void appendMetrics(String jsonLine) throws IOException {
        metricLines.add(jsonLine);
        writeText("metrics.jsonl", String.join("\n", metricLines) + "\n");
    }

    /** Rewrites metrics.jsonl with exactly these lines (a resumed run's rows so far). */
    public void setMetrics(List<String> jsonLines) throws IOException {
        metricLines.clear();
        metricLines.addAll(jsonLines);
        writeText("metrics.jsonl", jsonLines.isEmpty() ? "" : String.join("\n", metricLines) + "\n");
    }

    /** Writes epoch {@code epoch}'s checkpoint beside the earlier ones, then drops all but the one before it. */
    public void writeCheckpoint(int epoch, byte[] bytes) throws IOException {
        writeBytes(CHECKPOINTS + "/" + checkpointName(epoch), bytes);
        for (FileStatus old : checkpoints())
            if (epochOf(old.getPath()) < epoch - 1) fs.delete(old.getPath(), false);
    }

    /** The newest checkpoint's bytes and name, or null when there is none. */
    public Stored latestCheckpoint() throws IOException {
        List<FileStatus> all = checkpoints();
        if (all.isEmpty()) return null;
        Path newest = all.get(all.size() - 1).getPath();
        try (InputStream in = fs.open(newest)) {
            return new Stored(newest.toString(), in.readAllBytes());
        }
    }

    /** A stored file: where it is, and its bytes. */
    public record Stored(String path, byte[] bytes) {
    }

    private List<FileStatus> checkpoints() throws IOException {
        Path dir = resolve(CHECKPOINTS);
        if (!fs.exists(dir)) return List.of();
        return Arrays.stream(fs.listStatus(dir)).filter(s -> s.getPath().getName().matches("epoch-\\d{5}\\.bin"))
                .sorted(Comparator.comparingInt(s -> epochOf(s.getPath()))).toList();
    }

    private static String checkpointName(int epoch) {
        return String.format("epoch-%05d.bin", epoch);
    }

    private static int epochOf(Path checkpoint) {
        return Integer.parseInt(checkpoint.getName().substring(6, 11));
    }

    /** Keeps the staging directory when the job ends without a commit: a failed run that --resume can continue. */
    public void keepForResume() {
        kept = true;
    }

    public void commit() throws IOException {
        if (fs.exists(target)) {
            if (!replaceFinished) {
                kept = true; // another writer ignored the lock: its output stays, and so does this one
                throw new JobFailure("--out " + target + ": appeared while this job ran; this job's output is left in " + staging);
            }
            Path old = new Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID().toString().substring(0, 8));
            if (!fs.rename(target, old)) throw new IOException("cannot move old " + target + " aside");
            if (!fs.rename(staging, target)) throw new IOException("cannot rename " + staging + " to " + target);
            fs.delete(old, true);
        } else if (!fs.rename(staging, target)) {
            throw new IOException("cannot rename " + staging + " to " + target);
        }
        committed = true;
    }

    /**
     * For a run that failed but produced something worth keeping (the last good checkpoint of a diverged training):
     * renames the staging directory to {@code <out>.<suffix>} — or, if that exists from an earlier attempt,
     * {@code <out>.<suffix>-2}, -3 ... (never replacing one, never {@code <out>} itself) — and returns that path.
     */
    public String keepAsFailed(String suffix) throws IOException {
        Path kept = new Path(target.getParent(), target.getName() + "." + suffix);
        for (int n = 2; fs.exists(kept); n++) kept = new Path(target.getParent(), target.getName() + "." + suffix + "-" + n);
        if (!fs.rename(staging, kept)) throw new IOException("cannot rename " + staging + " to " + kept);
        committed = true;
        return kept.toString();
    }

    /**
     * Without a commit, the staging directory this job started or continued is removed unless kept for --resume: a
     * failed job leaves no partial output (and one refused before it began leaves what was there). The lock is released.
     */
    @Override
    public void close() throws IOException {
        try {
            if (owned && !committed && !kept) fs.delete(staging, true);
        } finally {
            lock.close();
        }
    }
}
