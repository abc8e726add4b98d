package latentdigits.data;

import latentdigits.util.HadoopFs;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ContentSummary;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Opens any input the encode job takes (any Hadoop path or glob), telling its format from names and magic bytes. */
public final class DigitInputs {
    public enum Format {
        IDX, PARQUET, IMAGES;

        public static Format parse(String flag, String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "idx" -> IDX;
                case "parquet" -> PARQUET;
                case "images" -> IMAGES;
                default -> throw new IllegalArgumentException(flag + ": expected idx, parquet or images, found '" + value + "'");
            };
        }
    }

    /** What to read and how; blank strings mean "not given". */
    public record Spec(String path, String format, String labels, String imageCol, String idCol, String labelCol,
                       long limit, int partitions) {
    }

    private DigitInputs() {
    }

    /**
     * Opens the input; gzipped IDX files are decompressed into {@code scratch}, a directory the caller removes. IDX input
     * is read by {@code spec.partitions()} tasks, or when that is 0 by one per slot, or one per 100,000 images if that is
     * more (so a failed task repeats little).
     */
    public static DigitInput open(SparkSession spark, Spec spec, int slots, String scratch) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration conf = jsc.hadoopConfiguration();
        List<FileStatus> matched = matched(spec.path(), conf);
        Format format = spec.format().isBlank() ? detect(spec.path(), matched, conf) : Format.parse("--format", spec.format());
        Map<String, Object> description = describe(spec.path(), format, matched, conf);
        if (!spec.labels().isBlank() && format != Format.IDX)
            throw new IllegalArgumentException("--labels: only for IDX input, found " + format.name().toLowerCase(Locale.ROOT) + " input "
                    + spec.path() + " (use --label-col for Parquet; image files take their folder's digit)");
        return switch (format) {
            case PARQUET -> TableInput.parquet(spark, spec.path(), spec.imageCol(), spec.idCol(), spec.labelCol(), spec.limit(), description);
            case IMAGES -> TableInput.imageFiles(spark, spec.path(), spec.limit(), description);
            case IDX -> {
                List<String> images = idxImages(spec.path(), matched, conf);
                List<String> labels = new ArrayList<>();
                if (!spec.labels().isBlank()) {
                    if (images.size() != 1)
                        throw new IllegalArgumentException("--labels: one labels file pairs with one images file, found "
                                + images.size() + " images files in " + spec.path() + " (name each NAME-labels-idx1-ubyte beside NAME-images-idx3-ubyte instead)");
                    labels.add(spec.labels());
                } else {
                    for (String image : images) labels.add(siblingLabels(image, conf));
                }
                if (!spec.labels().isBlank()) description.put("labels", spec.labels());
                yield IdxInput.open(jsc, images, labels, scratch, spec.limit(), 1, spec.partitions(), slots, description);
            }
        };
    }

    static List<FileStatus> matched(String path, Configuration conf) {
        Path p = new Path(path);
        try {
            FileStatus[] found = HadoopFs.of(p, conf).globStatus(p);
            if (found == null || found.length == 0) throw new DataFileException(path + ": no such file or directory");
            List<FileStatus> sorted = new ArrayList<>(Arrays.asList(found));
            sorted.sort(Comparator.comparing(s -> s.getPath().toString()));
            return sorted;
        } catch (IOException e) {
            throw new DataFileException(path + ": cannot list: " + e.getMessage(), e);
        }
    }

    /** By file name first (.parquet, .png/.jpg/.jpeg, -idx3-ubyte), then by the first data file's magic bytes. */
    static Format detect(String path, List<FileStatus> matched, Configuration conf) {
        Format byName = byName(path);
        if (byName != null) return byName;
        Path first = firstDataFile(path, matched, conf);
        byName = byName(first.getName());
        if (byName != null) return byName;
        byte[] head = head(first, conf);
        if (startsWith(head, 'P', 'A', 'R', '1')) return Format.PARQUET;
        if (startsWith(head, 0x89, 'P', 'N', 'G') || startsWith(head, 0xFF, 0xD8, 0xFF)) return Format.IMAGES;
        if (startsWith(head, 0, 0, 8, 3)) return Format.IDX;
        throw new DataFileException(path + ": cannot tell the input's format: its first file " + first.getName() + " starts with "
                + hex(head) + ", which is neither IDX (00 00 08 03), Parquet (PAR1), PNG nor JPEG; give --format idx|parquet|images");
    }

    private static Format byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".parquet")) return Format.PARQUET;
        if (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg")) return Format.IMAGES;
        if (n.contains("idx3-ubyte") && (n.endsWith("ubyte") || n.endsWith("ubyte.gz"))) return Format.IDX;
        return null;
    }

    /** The first file Spark would read: hidden files (_SUCCESS, .crc) are skipped as Spark skips them. */
    private static Path firstDataFile(String path, List<FileStatus> matched, Configuration conf) {
        try {
            for (FileStatus status : matched) {
                if (status.isFile()) return status.getPath();
                FileSystem fs = status.getPath().getFileSystem(conf);
                RemoteIterator<LocatedFileStatus> files = fs.listFiles(status.getPath(), true);
                while (files.hasNext()) {
                    Path f = files.next().getPath();
                    if (!f.getName().startsWith("_") && !f.getName().startsWith(".")) return f;
                }
            }
        } catch (IOException e) {
            throw new DataFileException(path + ": cannot list: " + e.getMessage(), e);
        }
        throw new DataFileException(path + ": no files found (an empty directory?)");
    }

    /** The first 4 bytes, of the decompressed data for a gzip file. */
    private static byte[] head(Path file, Configuration conf) {
        try (InputStream raw = file.getFileSystem(conf).open(file)) {
            byte[] head = raw.readNBytes(4);
            if (!startsWith(head, 0x1F, 0x8B)) return head;
        } catch (IOException e) {
            throw new DataFileException(file + ": cannot read: " + e.getMessage(), e);
        }
        try (InputStream in = new GZIPInputStream(file.getFileSystem(conf).open(file))) {
            return in.readNBytes(4);
        } catch (IOException e) {
            throw new DataFileException(file + ": a gzip file that cannot be decompressed (" + e.getMessage() + ")", e);
        }
    }

    /** A directory's *-images-idx3-ubyte[.gz] files, or the files a path or glob names (label files left out). */
    static List<String> idxImages(String path, List<FileStatus> matched, Configuration conf) {
        List<String> images = new ArrayList<>();
        try {
            for (FileStatus status : matched) {
                if (status.isFile()) {
                    if (!status.getPath().getName().contains("labels-idx1")) images.add(status.getPath().toString());
                    continue;
                }
                FileStatus[] inside = status.getPath().getFileSystem(conf).listStatus(status.getPath());
                Arrays.sort(inside, Comparator.comparing(s -> s.getPath().getName()));
                for (FileStatus f : inside)
                    if (f.isFile() && f.getPath().getName().matches(".*images-idx3-ubyte(\\.gz)?")) images.add(f.getPath().toString());
            }
        } catch (IOException e) {
            throw new DataFileException(path + ": cannot list: " + e.getMessage(), e);
        }
        if (images.isEmpty()) throw DataFileException.of(path, "IDX images files (NAME-images-idx3-ubyte, raw or .gz)", "none");
        return images;
    }

    /** NAME-labels-idx1-ubyte[.gz] beside NAME-images-idx3-ubyte[.gz], or null (unlabelled). */
    static String siblingLabels(String images, Configuration conf) {
        Path p = new Path(images);
        if (!p.getName().contains("images-idx3")) return null;
        String base = p.getName().replace("images-idx3", "labels-idx1").replaceFirst("\\.gz$", "");
        try {
            FileSystem fs = p.getFileSystem(conf);
            for (String name : List.of(base, base + ".gz")) {
                Path candidate = new Path(p.getParent(), name);
                if (fs.exists(candidate)) return candidate.toString();
            }
        } catch (IOException e) {
            throw new DataFileException(images + ": cannot look for its labels: " + e.getMessage(), e);
        }
        return null;
    }

    /** path, format, files and bytes (Hadoop's content summary), newest modification time of what was matched. */
    static Map<String, Object> describe(String path, Format format, List<FileStatus> matched, Configuration conf) {
        long files = 0, bytes = 0, newest = 0;
        try {
            for (FileStatus status : matched) {
                ContentSummary summary = status.getPath().getFileSystem(conf).getContentSummary(status.getPath());
                files += summary.getFileCount();
                bytes += summary.getLength();
                newest = Math.max(newest, status.getModificationTime());
            }
        } catch (IOException e) {
            throw new DataFileException(path + ": cannot read its size: " + e.getMessage(), e);
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("path", path);
        d.put("format", format.name().toLowerCase(Locale.ROOT));
        d.put("files", files);
        d.put("bytes", bytes);
        d.put("modified", java.time.Instant.ofEpochMilli(newest).toString());
        return d;
    }

    private static boolean startsWith(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if ((bytes[i] & 0xFF) != (prefix[i] & 0xFF)) return false;
        return true;
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) s.append(s.length() == 0 ? "" : " ").append(String.format("%02x", b & 0xFF));
        return bytes.length == 0 ? "nothing (an empty file)" : s.toString();
    }
}
