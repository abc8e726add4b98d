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

    public static FileSystem of(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        fs.setWriteChecksum(false);
        return fs;
    }
}
