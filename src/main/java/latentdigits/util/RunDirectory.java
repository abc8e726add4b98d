package latentdigits.util;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A job's output directory, written in a hidden staging directory next to it and renamed into place only when the job
 * succeeds, so a scheduler (Airflow) never sees half a run. Works on any Hadoop filesystem.
 */
public final class RunDirectory implements AutoCloseable {
    private final Path target;
    private final Path staging;
    private final FileSystem fs;
    private final boolean overwrite;
    private final List<String> metricLines = new ArrayList<>();
    private boolean committed;

    private RunDirectory(Path target, FileSystem fs, boolean overwrite) {
        this.target = target;
        this.fs = fs;
        this.overwrite = overwrite;
        this.staging = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** Fails at once (before any work) when the target exists and --overwrite was not given. */
    public static RunDirectory create(String out, boolean overwrite, Configuration conf) throws IOException {
        Path target = new Path(out);
        FileSystem fs = HadoopFs.of(target, conf);
        target = fs.makeQualified(target);
        if (fs.exists(target) && !overwrite)
            throw new UserError("--out " + out + ": already exists; choose another directory or pass --overwrite");
        if (target.getParent() != null) fs.mkdirs(target.getParent());
        RunDirectory run = new RunDirectory(target, fs, overwrite);
        fs.mkdirs(run.staging);
        return run;
    }

    public String finalPath() {
        return target.toString();
    }

    public Path resolve(String relative) {
        return new Path(staging, relative);
    }

    public OutputStream create(String relative) throws IOException {
        Path p = resolve(relative);
        fs.mkdirs(p.getParent());
        FSDataOutputStream out = fs.create(p, true);
        return out;
    }

    public void writeBytes(String relative, byte[] bytes) throws IOException {
        try (OutputStream out = create(relative)) {
            out.write(bytes);
        }
    }

    public void writeText(String relative, String text) throws IOException {
        writeBytes(relative, text.getBytes(StandardCharsets.UTF_8));
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

    /** Without a commit, the staging directory is removed: a failed job leaves no partial output. */
    @Override
    public void close() throws IOException {
        if (!committed) fs.delete(staging, true);
    }

}
