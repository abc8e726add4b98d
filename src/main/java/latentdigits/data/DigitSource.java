package latentdigits.data;

import latentdigits.util.HadoopFs;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.Serializable;

/**
 * One split of an MNIST-style digit set: an images IDX file and its labels IDX file, validated against each other.
 * Serializable and small, so it travels to executors, which read their own record ranges from the files.
 * {@code repeat > 1} tiles the files end to end (record i is record i mod n), which is how the benchmark builds
 * million-image sets without writing them anywhere.
 */
public record DigitSource(IdxHeader images, IdxHeader labels, int repeat) implements Serializable {
    public static final int SIDE = 28;
    public static final int PIXELS = SIDE * SIDE;

    public enum Split {
        TRAIN("train"), TEST("t10k");

        final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }

        public static Split parse(String flag, String value) {
            return switch (value) {
                case "train" -> TRAIN;
                case "test" -> TEST;
                default -> throw new IllegalArgumentException(flag + ": expected train or test, found '" + value + "'");
            };
        }
    }

    /** Opens {dir}/{train|t10k}-{images-idx3|labels-idx1}-ubyte, raw or with .gz, and checks the pair. */
    public static DigitSource open(String dir, Split split, Configuration conf) {
        String[] files = files(dir, split, conf);
        return of(files[0], files[1], conf);
    }

    /** The split's images and labels files in {@code dir}, raw or .gz. */
    public static String[] files(String dir, Split split, Configuration conf) {
        return new String[]{locate(dir, split.prefix + "-images-idx3-ubyte", conf), locate(dir, split.prefix + "-labels-idx1-ubyte", conf)};
    }

    public static DigitSource of(String imagesFile, String labelsFile, Configuration conf) {
        IdxHeader images = IdxFiles.readHeader(imagesFile, 3, conf);
        if (images.dims()[1] != SIDE || images.dims()[2] != SIDE)
            throw DataFileException.of(imagesFile, "images of " + SIDE + "x" + SIDE + " pixels",
                    images.dims()[1] + "x" + images.dims()[2]);
        IdxHeader labels = IdxFiles.readHeader(labelsFile, 1, conf);
        if (labels.count() != images.count())
            throw DataFileException.of(labelsFile, images.count() + " labels (as many as images in " + imagesFile + ")",
                    labels.count() + " labels");
        return new DigitSource(images, labels, 1);
    }

    /** The same files tiled {@code times} times. */
    public DigitSource tiled(int times) {
        if (times < 1) throw new IllegalArgumentException("tiles: expected at least 1, found " + times);
        return new DigitSource(images, labels, times);
    }

    static String locate(String dir, String name, Configuration conf) {
        Path raw = new Path(dir, name);
        Path gz = new Path(dir, name + ".gz");
        try {
            FileSystem fs = HadoopFs.of(raw, conf);
            if (fs.exists(raw)) return raw.toString();
            if (fs.exists(gz)) return gz.toString();
        } catch (IOException e) {
            throw new DataFileException(raw + ": cannot access: " + e.getMessage(), e);
        }
        throw new DataFileException(raw + ": file not found (nor " + gz.getName() + "); run ./submit.sh fetch-data --dest " + dir);
    }

    public int count() {
        return Math.multiplyExact(images.count(), repeat);
    }

    /** Reads records [first, first+count): pixels and labels, checking that every label is a digit. */
    public DigitBlock read(long first, int count, Configuration conf) {
        if (first < 0 || first + count > count())
            throw new IllegalArgumentException(images.file() + ": records [" + first + ", " + (first + count) + ") requested, the set holds " + count());
        byte[] pixels = new byte[Math.multiplyExact(count, PIXELS)];
        byte[] labelBytes = new byte[count];
        int n = images.count();
        for (int done = 0; done < count; ) { // one contiguous file range at a time (several only when tiled)
            long record = (first + done) % n;
            int run = (int) Math.min(count - done, n - record);
            System.arraycopy(IdxFiles.readRecords(images, record, run, conf), 0, pixels, done * PIXELS, run * PIXELS);
            System.arraycopy(IdxFiles.readRecords(labels, record, run, conf), 0, labelBytes, done, run);
            done += run;
        }
        for (int i = 0; i < labelBytes.length; i++) {
            if ((labelBytes[i] & 0xFF) > 9)
                throw DataFileException.of(labels.file(), "labels 0-9", "label " + (labelBytes[i] & 0xFF) + " at record " + (first + i) % n);
        }
        return DigitBlock.contiguous(first, pixels, labelBytes);
    }

    public DigitBlock readAll(Configuration conf) {
        return read(0, count(), conf);
    }
}
