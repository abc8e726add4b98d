package latentdigits.util;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;

/** The filesystem of a path, without Hadoop's ".name.crc" side files on local disks (they confuse users and checksums). */
public final class HadoopFs {
    private HadoopFs() {
    }

    public interface Writer {
        void write(java.io.OutputStream out) throws IOException;
    }

    /** The whole file, or null when it does not exist. */
    public static byte[] readIfExists(FileSystem fs, Path file) throws IOException {
        if (!fs.exists(file)) return null;
        try (java.io.InputStream in = fs.open(file)) {
            return in.readAllBytes();
        }
    }

    /** Writes next to the target under a hidden name and renames, so readers never see a half-written file. */
    public static void writeAtomically(String file, Configuration conf, Writer writer) throws IOException {
        Path target = new Path(file);
        FileSystem fs = of(target, conf);
        Path parent = target.getParent() == null ? new Path(".") : target.getParent();
        fs.mkdirs(parent);
        Path tmp = new Path(parent, "." + target.getName() + ".tmp-" + java.util.UUID.randomUUID().toString().substring(0, 8));
        try {
            try (java.io.OutputStream out = fs.create(tmp, true)) {
                writer.write(out);
            }
            fs.delete(target, false);
            if (!fs.rename(tmp, target)) throw new IOException("cannot rename " + tmp + " to " + target);
        } finally {
            fs.delete(tmp, false);
        }
    }

    /**
     * The file system of an output path given by flag {@code flag}: an unknown scheme, or one whose file system cannot
     * be reached, is the user's to fix, named before any work starts.
     */
    public static FileSystem forOutput(Path path, String flag, Configuration conf) {
        try {
            return of(path, conf);
        } catch (org.apache.hadoop.fs.UnsupportedFileSystemException e) {
            throw new UserError(flag + " " + path + ": no file system for scheme '" + path.toUri().getScheme()
                    + "' (expected file:, hdfs:, s3a: ... with its Hadoop module on the classpath)");
        } catch (IOException e) {
            throw new UserError(flag + " " + path + ": cannot reach its file system (" + e.getMessage() + ")");
        }
    }

    /** Checks that {@code dir} can be created and written in, before any work: a probe file is made and removed. */
    public static void requireWritable(FileSystem fs, Path dir, String flag, Path shown) {
        Path probe = new Path(dir, ".latent-digits-probe-" + java.util.UUID.randomUUID().toString().substring(0, 8));
        try {
            fs.mkdirs(dir);
            fs.create(probe, true).close();
            fs.delete(probe, false);
        } catch (IOException e) {
            throw new UserError(flag + " " + shown + ": cannot write in " + dir + " (" + e.getClass().getSimpleName() + ": "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
    }

    public static FileSystem of(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        fs.setWriteChecksum(false);
        return fs;
    }
}
