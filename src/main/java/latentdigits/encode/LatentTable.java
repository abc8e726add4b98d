package latentdigits.encode;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
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

/** The latent table's one schema, written as Parquet (by the executors) and as a single CSV (streamed by the driver). */
public final class LatentTable {
    private LatentTable() {
    }

    public static List<String> columns(int latent) {
        List<String> c = new ArrayList<>(List.of("index", "label"));
        for (int i = 0; i < latent; i++) c.add("mu_" + i);
        for (int i = 0; i < latent; i++) c.add("logvar_" + i);
        return c;
    }

    public static StructType schema(int latent) {
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("index", DataTypes.LongType, false));
        fields.add(DataTypes.createStructField("label", DataTypes.IntegerType, false));
        for (String c : columns(latent).subList(2, 2 + 2 * latent)) fields.add(DataTypes.createStructField(c, DataTypes.FloatType, false));
        return DataTypes.createStructType(fields);
    }

    public static Dataset<Row> dataFrame(SparkSession spark, JavaRDD<LatentRow> rows, int latent) {
        JavaRDD<Row> sqlRows = rows.map(r -> {
            Object[] values = new Object[2 + 2 * latent];
            values[0] = r.index();
            values[1] = r.label();
            for (int i = 0; i < latent; i++) {
                values[2 + i] = r.mu()[i];
                values[2 + latent + i] = r.logvar()[i];
            }
            return RowFactory.create(values);
        });
        return spark.createDataFrame(sqlRows, schema(latent));
    }

    /** Streams the rows partition by partition (toLocalIterator), so the driver holds one partition at a time. */
    public static long writeCsv(Iterator<LatentRow> rows, int latent, OutputStream target) throws IOException {
        long n = 0;
        Writer out = new OutputStreamWriter(target, StandardCharsets.UTF_8);
        out.write(String.join(",", columns(latent)));
        out.write('\n');
        StringBuilder line = new StringBuilder();
        while (rows.hasNext()) {
            LatentRow r = rows.next();
            line.setLength(0);
            line.append(r.index()).append(',').append(r.label());
            for (float v : r.mu()) line.append(',').append(v);
            for (float v : r.logvar()) line.append(',').append(v);
            out.write(line.append('\n').toString());
            n++;
        }
        out.flush();
        return n;
    }
}
