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
 * only when the job succeeds, so a scheduler never sees half a run. Every file in it is written under a temporary name
 * and renamed when complete. A training run's checkpoints ({@code checkpoint/epoch-NNNNN.bin}) stay in the staging
 * directory when the job fails or is killed, so the same command with {@code --resume} continues it. Works on any
 * Hadoop file system.
 */
public final class RunDirectory implements AutoCloseable {
    private static final String CHECKPOINTS = "checkpoint";
    private final Path target;
    private final Path staging;
    private final FileSystem fs;
    private final boolean overwrite;
    private final List<String> metricLines = new ArrayList<>();
    private boolean committed, kept;

    private RunDirectory(Path target, Path staging, FileSystem fs, boolean overwrite) {
        this.target = target;
        this.staging = staging;
        this.fs = fs;
        this.overwrite = overwrite;
    }

    /**
     * Opens the run for {@code out}, failing at once (before any work) when it exists and --overwrite was not given.
     * With {@code resume}, continues the unfinished run kept in the staging directory; without it, an unfinished run
     * with a checkpoint is refused (--resume continues it, --overwrite starts over), and staging with nothing worth
     * keeping (a job killed before its first checkpoint) is cleared.
     */
    public static RunDirectory create(String out, boolean overwrite, boolean resume, Configuration conf) throws IOException {
        Path target = new Path(out);
        FileSystem fs = HadoopFs.of(target, conf);
        target = fs.makeQualified(target);
        if (fs.exists(target) && !overwrite)
            throw new UserError("--out " + out + ": already exists; choose another directory or pass --overwrite");
        Path staging = new Path(target.getParent(), "." + target.getName() + ".partial");
        RunDirectory run = new RunDirectory(target, staging, fs, overwrite);
        Integer lastEpoch = fs.exists(staging) ? run.lastCheckpointedEpoch() : null;
        if (resume) {
            if (lastEpoch == null)
                throw new UserError("--resume: no unfinished run of --out " + out + " to continue (no checkpoint in " + staging + ")");
        } else if (lastEpoch != null && !overwrite) {
            throw new UserError("--out " + out + ": an unfinished run is kept in " + staging + " (epochs 1-" + lastEpoch
                    + " done); continue it with --resume, or start over with --overwrite");
        } else if (fs.exists(staging)) {
            fs.delete(staging, true);
        }
        fs.mkdirs(staging);
        return run;
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

    public byte[] readBytes(String relative) throws IOException {
        try (InputStream in = fs.open(resolve(relative))) {
            return in.readAllBytes();
        }
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

    private Integer lastCheckpointedEpoch() throws IOException {
        List<FileStatus> all = checkpoints();
        return all.isEmpty() ? null : epochOf(all.get(all.size() - 1).getPath());
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
            if (!overwrite) throw new UserError("--out " + target + ": appeared while the job ran; output left in " + staging);
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
     * renames the staging directory to {@code <out>.<suffix>} (never to {@code <out>} itself) and returns that path.
     */
    public String keepAsFailed(String suffix) throws IOException {
        Path kept = new Path(target.getParent(), target.getName() + "." + suffix);
        fs.delete(kept, true);
        if (!fs.rename(staging, kept)) throw new IOException("cannot rename " + staging + " to " + kept);
        committed = true;
        return kept.toString();
    }

    /** Without a commit, the staging directory is removed unless kept for --resume: a failed job leaves no partial output. */
    @Override
    public void close() throws IOException {
        if (!committed && !kept) fs.delete(staging, true);
    }
}
