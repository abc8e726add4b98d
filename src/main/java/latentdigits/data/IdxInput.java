package latentdigits.data;

import latentdigits.util.HadoopConf;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * IDX image files (raw or .gz), each with its label file when there is one, read as one set: positions run through the
 * files in the order given. Each task reads its own range of positions by seeking; a gzipped file is first
 * decompressed once, by one Spark task, into a scratch directory beside the output, so no task decompresses from the
 * start of a file to reach its range. Ids are "FILE#RECORD".
 */
public final class IdxInput implements DigitInput, Serializable {
    /** Records read per file access: 3 MB of pixels. */
    static final int CHUNK = 4096;

    /** One images file, its labels (null when unlabelled) and the position of its first record. */
    record Part(String name, IdxHeader images, IdxHeader labels, long first) implements Serializable {
    }

    private final List<Part> parts;
    private final long perPass, count;
    private final int partitions;
    private final HadoopConf hadoop;
    private final Map<String, Object> description;
    private final transient JavaSparkContext jsc;

    private IdxInput(JavaSparkContext jsc, List<Part> parts, long count, int partitions, Map<String, Object> description) {
        this.jsc = jsc;
        this.parts = parts;
        this.perPass = parts.isEmpty() ? 0 : parts.get(parts.size() - 1).first() + parts.get(parts.size() - 1).images().count();
        this.count = count;
        this.partitions = partitions;
        this.hadoop = new HadoopConf(jsc.hadoopConfiguration());
        this.description = description;
    }

    /**
     * Opens IDX image files: each gzipped one (images or labels) is decompressed into {@code scratch} by a Spark task.
     * {@code labels} pairs each images file with its labels file or null; {@code limit} > 0 keeps the first records;
     * {@code tiles} > 1 repeats the files end to end (position p is record p mod total), as the benchmark does.
     */
    public static IdxInput open(JavaSparkContext jsc, List<String> images, List<String> labels, String scratch,
                                long limit, int tiles, int partitions, int slots, Map<String, Object> description) {
        Configuration conf = jsc.hadoopConfiguration();
        List<String[]> gz = new ArrayList<>(); // {source, copy, rank}
        List<String> localImages = new ArrayList<>(), localLabels = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            localImages.add(decompressed(images.get(i), 3, scratch, gz));
            localLabels.add(labels.get(i) == null ? null : decompressed(labels.get(i), 1, scratch, gz));
        }
        if (!gz.isEmpty()) {
            HadoopConf hadoop = new HadoopConf(conf);
            jsc.parallelize(gz, gz.size()).foreach(g -> IdxFiles.gunzip(g[0], g[1], Integer.parseInt(g[2]), hadoop.get()));
        }
        List<Part> parts = new ArrayList<>();
        long first = 0;
        for (int i = 0; i < images.size(); i++) {
            IdxHeader im = IdxFiles.readHeader(localImages.get(i), 3, conf);
            if (im.dims()[1] != DigitSource.SIDE || im.dims()[2] != DigitSource.SIDE)
                throw DataFileException.of(images.get(i), "images of 28x28 pixels", im.dims()[1] + "x" + im.dims()[2]);
            IdxHeader lb = localLabels.get(i) == null ? null : IdxFiles.readHeader(localLabels.get(i), 1, conf);
            if (lb != null && lb.count() != im.count())
                throw DataFileException.of(labels.get(i), im.count() + " labels (as many as images in " + images.get(i) + ")",
                        lb.count() + " labels");
            parts.add(new Part(new Path(images.get(i)).getName(), im, lb, first));
            first += im.count();
        }
        long total = Math.multiplyExact(first, (long) tiles);
        long count = limit > 0 ? Math.min(limit, total) : total;
        return new IdxInput(jsc, parts, count, partitions > 0 ? partitions : defaultTasks(count, slots), description);
    }

    /** One task per slot, and more for bulk sets, so that a failed task repeats at most ~100,000 images. */
    public static int defaultTasks(long images, int slots) {
        return (int) Math.max(slots, (images + 99_999) / 100_000);
    }

    private static String decompressed(String file, int rank, String scratch, List<String[]> gz) {
        if (!file.endsWith(".gz")) return file;
        String copy = new Path(scratch, gz.size() + "-" + new Path(file).getName().replaceFirst("\\.gz$", "")).toString();
        gz.add(new String[]{file, copy, String.valueOf(rank)});
        return copy;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>(description);
        d.put("records", count);
        d.put("labelled", parts.stream().allMatch(p -> p.labels() != null));
        return d;
    }

    /** Contiguous ranges of positions, one per task. */
    @Override
    public JavaRDD<DigitRecord> records() {
        List<long[]> ranges = new ArrayList<>();
        int p = (int) Math.max(1, Math.min(partitions, Math.max(1, count)));
        for (int i = 0; i < p; i++) {
            long from = count * i / p, to = count * (i + 1) / p;
            if (to > from || p == 1) ranges.add(new long[]{from, to});
        }
        return jsc.parallelize(ranges, ranges.size()).flatMap(r -> read(r[0], r[1]));
    }

    /** Records [from, to), read CHUNK at a time. */
    Iterator<DigitRecord> read(long from, long to) {
        return new Iterator<>() {
            long next = from;
            List<DigitRecord> chunk = List.of();
            int at;

            @Override
            public boolean hasNext() {
                return at < chunk.size() || next < to;
            }

            @Override
            public DigitRecord next() {
                if (at == chunk.size()) {
                    if (next >= to) throw new NoSuchElementException();
                    chunk = readChunk(next, (int) Math.min(CHUNK, to - next));
                    next += chunk.size();
                    at = 0;
                }
                return chunk.get(at++);
            }
        };
    }

    /** Up to {@code max} records from {@code position}, within one file. */
    private List<DigitRecord> readChunk(long position, int max) {
        long inPass = position % perPass;
        Part part = parts.get(0);
        for (Part candidate : parts) if (candidate.first() <= inPass) part = candidate;
        long record = inPass - part.first();
        int n = (int) Math.min(max, part.images().count() - record);
        Configuration conf = hadoop.get();
        byte[] pixels = IdxFiles.readRecords(part.images(), record, n, conf);
        byte[] labels = part.labels() == null ? null : IdxFiles.readRecords(part.labels(), record, n, conf);
        List<DigitRecord> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String id = part.name() + "#" + (record + i);
            byte[] image = java.util.Arrays.copyOfRange(pixels, i * DigitSource.PIXELS, (i + 1) * DigitSource.PIXELS);
            int label = labels == null ? DigitRecord.UNLABELLED : labels[i] & 0xFF;
            out.add(label > 9 ? DigitRecord.bad(id, position + i, "label " + label + ", expected 0-9")
                    : DigitRecord.good(id, position + i, label, image));
        }
        return out;
    }
}
