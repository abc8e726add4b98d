package latentdigits.util;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;

/** The filesystem of a path, without Hadoop's ".name.crc" side files on local disks (they confuse users and checksums). */
public final class HadoopFs {
    private HadoopFs() {
    }

    public static FileSystem of(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        fs.setWriteChecksum(false);
        return fs;
    }
}
