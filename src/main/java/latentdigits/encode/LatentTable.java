package latentdigits.encode;

import latentdigits.data.DigitRecord;
import latentdigits.util.LazyIterators;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The latent table's one schema, written as Parquet (by the executors) and as CSV (streamed by the driver): id, index
 * (the image's position in the input), label (null when unknown), mu_i, logvar_i, and the per-image negative ELBO when
 * asked for.
 */
public final class LatentTable {
    private LatentTable() {
    }

    public static List<String> columns(int latent, boolean withNelbo) {
        List<String> c = new ArrayList<>(List.of("id", "index", "label"));
        for (int i = 0; i < latent; i++) c.add("mu_" + i);
        for (int i = 0; i < latent; i++) c.add("logvar_" + i);
        if (withNelbo) c.add("nelbo");
        return c;
    }

    public static StructType schema(int latent, boolean withNelbo) {
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("id", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("index", DataTypes.LongType, false));
        fields.add(DataTypes.createStructField("label", DataTypes.IntegerType, true));
        for (String c : columns(latent, false).subList(3, 3 + 2 * latent)) fields.add(DataTypes.createStructField(c, DataTypes.FloatType, false));
        if (withNelbo) fields.add(DataTypes.createStructField("nelbo", DataTypes.DoubleType, false));
        return DataTypes.createStructType(fields);
    }

    public static List<Row> rows(LatentEncoder.Encoded e, int latent, boolean withNelbo) {
        List<Row> out = new ArrayList<>(e.records().size());
        for (int i = 0; i < e.records().size(); i++) {
            DigitRecord r = e.records().get(i);
            Object[] values = new Object[3 + 2 * latent + (withNelbo ? 1 : 0)];
            values[0] = r.id();
            values[1] = r.position();
            values[2] = r.label() == DigitRecord.UNLABELLED ? null : r.label();
            for (int j = 0; j < 2 * latent; j++) values[3 + j] = e.moments()[i][j];
            if (withNelbo) values[3 + 2 * latent] = e.xent()[i] + e.kl()[i];
            out.add(RowFactory.create(values));
        }
        return out;
    }

    /**
     * The latent table's rows, made lazily by each task as the writer pulls them: records encoded {@code batch} at a
     * time, totals and the kNN classifier's score (when {@code knn} is not null) added to {@code stats}.
     */
    public static JavaRDD<Row> encoded(JavaRDD<DigitRecord> records, Broadcast<byte[]> model, int batch, boolean withLoss,
                                       boolean withNelbo, int latent, LatentEncoder.BadRecords bad, EncodeStats stats,
                                       Broadcast<NearestNeighbours> knn, Iwae iwae) {
        return records.mapPartitions(it -> LazyIterators.flatMap(LatentEncoder.encode(it, model, batch, withLoss, bad), e -> {
            stats.add(e, knn == null ? null : knn.value(), latent);
            if (iwae != null) iwae.add(model, e, latent, stats);
            return rows(e, latent, withNelbo);
        }));
    }

    /** The importance-weighted bound with {@code k} draws, on the images whose position is a multiple of {@code every}. */
    public record Iwae(int k, long every) implements java.io.Serializable {
        /** The bound of the chosen images of a batch, and their NELBO, so the two compare on the same images. */
        void add(Broadcast<byte[]> model, LatentEncoder.Encoded e, int latent, EncodeStats stats) {
            List<DigitRecord> chosen = new ArrayList<>();
            List<float[]> moments = new ArrayList<>();
            double nelbo = 0;
            for (int i = 0; i < e.records().size(); i++) {
                if (e.records().get(i).position() % every != 0) continue;
                chosen.add(e.records().get(i));
                moments.add(e.moments()[i]);
                nelbo += e.xent()[i] + e.kl()[i];
            }
            if (chosen.isEmpty()) return;
            stats.addIwae(ImportanceWeightedBound.nll(LatentEncoder.decoder(model), chosen, moments.toArray(float[][]::new), latent, k), nelbo);
        }
    }

    /** The rejected records' table: id, index, reason. */
    public static StructType rejectedSchema() {
        return DataTypes.createStructType(List.of(
                DataTypes.createStructField("id", DataTypes.StringType, false),
                DataTypes.createStructField("index", DataTypes.LongType, false),
                DataTypes.createStructField("reason", DataTypes.StringType, false)));
    }

    /** Writes rows as they come (from toLocalIterator the driver holds one partition at a time); returns how many. */
    public static long writeCsv(Iterator<Row> rows, List<String> columns, OutputStream target) throws IOException {
        long n = 0;
        Writer out = new OutputStreamWriter(target, StandardCharsets.UTF_8);
        out.write(String.join(",", columns));
        out.write('\n');
        StringBuilder line = new StringBuilder();
        while (rows.hasNext()) {
            Row r = rows.next();
            line.setLength(0);
            for (int i = 0; i < r.length(); i++) {
                if (i > 0) line.append(',');
                Object v = r.get(i);
                if (v instanceof String s) line.append(quoted(s));
                else if (v != null) line.append(v);
            }
            out.write(line.append('\n').toString());
            n++;
        }
        out.flush();
        return n;
    }

    /** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
    static String quoted(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
