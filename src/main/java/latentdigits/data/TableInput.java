package latentdigits.data;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Digits in a table Spark reads itself: a Parquet table with an image column, or a tree of PNG/JPEG files (Spark's
 * binaryFile source, one row per file). Partitions are Spark's file splits; positions are assigned in that order by
 * first counting each split's rows on a projection that reads no image bytes (Parquet footers, file listings), so the
 * images are read once, by the encoding tasks.
 */
public final class TableInput implements DigitInput, Serializable {
    /** How a row becomes a record. */
    enum Kind { BINARY, NUMBERS, IMAGE_FILE }

    private final Kind kind;
    private final boolean hasId, hasLabel;
    private final long[] offsets;
    private final long count;
    private final Map<String, Object> description;
    private final transient Dataset<Row> rows;

    private TableInput(Kind kind, Dataset<Row> rows, Dataset<Row> cheap, boolean hasId, boolean hasLabel, long limit,
                       Map<String, Object> description) {
        this.kind = kind;
        this.rows = rows;
        this.hasId = hasId;
        this.hasLabel = hasLabel;
        List<Long> sizes = cheap.javaRDD().mapPartitions(it -> {
            long n = 0;
            for (; it.hasNext(); it.next()) n++;
            return List.of(n).iterator();
        }).collect();
        if (sizes.size() != rows.javaRDD().getNumPartitions())
            throw new IllegalStateException("the counting pass saw " + sizes.size() + " splits, the reading pass " + rows.javaRDD().getNumPartitions());
        offsets = new long[sizes.size() + 1];
        for (int i = 0; i < sizes.size(); i++) offsets[i + 1] = offsets[i] + sizes.get(i);
        long total = offsets[sizes.size()];
        this.count = limit > 0 ? Math.min(limit, total) : total;
        this.description = description;
    }

    /** A Parquet table (file, directory or glob): images in {@code imageCol}, optional id and label columns. */
    public static TableInput parquet(SparkSession spark, String path, String imageCol, String idCol, String labelCol, long limit,
                                     Map<String, Object> description) {
        Dataset<Row> table = spark.read().parquet(path);
        StructType schema = table.schema();
        DataType imageType = column(schema, path, imageCol, "--image-col").dataType();
        Kind kind;
        if (imageType.equals(DataTypes.BinaryType)) kind = Kind.BINARY;
        else if (isImageColumn(imageType)) kind = Kind.NUMBERS;
        else throw DataFileException.of(path, "column '" + imageCol + "' of binary (784 raw bytes, PNG or JPEG) or an array of 784 numbers",
                    imageType.simpleString());
        List<Column> columns = new ArrayList<>(List.of(table.col(imageCol)));
        boolean hasId = !idCol.isBlank(), hasLabel = !labelCol.isBlank();
        if (hasId) columns.add(table.col(column(schema, path, idCol, "--id-col").name()).cast(DataTypes.StringType));
        if (hasLabel) {
            DataType labelType = column(schema, path, labelCol, "--label-col").dataType();
            if (!(labelType.equals(DataTypes.IntegerType) || labelType.equals(DataTypes.LongType)
                    || labelType.equals(DataTypes.ShortType) || labelType.equals(DataTypes.ByteType)))
                throw DataFileException.of(path, "column '" + labelCol + "' of integers 0-9", labelType.simpleString());
            columns.add(table.col(labelCol).cast(DataTypes.IntegerType));
        }
        Dataset<Row> cheap = hasId ? table.select(table.col(idCol)) : table.select(new Column[0]);
        return new TableInput(kind, table.select(columns.toArray(new Column[0])), cheap, hasId, hasLabel, limit, description);
    }

    /**
     * PNG and JPEG files under a directory (recursively) or matching a glob; the id is the file's path, the label the
     * name of its folder when that is a single digit (the usual layout: DIR/7/some.png).
     */
    public static TableInput imageFiles(SparkSession spark, String path, long limit, Map<String, Object> description) {
        Dataset<Row> files = spark.read().format("binaryFile")
                .option("recursiveFileLookup", "true")
                .option("pathGlobFilter", "*.{png,PNG,jpg,JPG,jpeg,JPEG}")
                .load(path);
        return new TableInput(Kind.IMAGE_FILE, files.select("content", "path"), files.select("path"), true, false, limit, description);
    }

    /** A column that can hold images: binary (784 raw bytes, PNG or JPEG) or an array of numbers. */
    public static boolean isImageColumn(DataType type) {
        return type.equals(DataTypes.BinaryType) || type instanceof ArrayType a && a.elementType() instanceof NumericType;
    }

    /** The image in column {@code index} of a row: bytes ({@code binary}) or 784 numbers; null is a problem too. */
    public static DigitImages.Decoded image(Row row, int index, boolean binary) {
        if (row.isNullAt(index)) return DigitImages.fromBytes(null);
        return binary ? DigitImages.fromBytes((byte[]) row.get(index)) : DigitImages.fromNumbers(row.getList(index));
    }

    private static StructField column(StructType schema, String path, String name, String flag) {
        for (StructField f : schema.fields()) if (f.name().equals(name)) return f;
        throw DataFileException.of(path, "a column '" + name + "' (" + flag + ")",
                "columns " + String.join(", ", Arrays.asList(schema.fieldNames())));
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>(description);
        d.put("records", count);
        d.put("splits", offsets.length - 1);
        return d;
    }

    @Override
    public JavaRDD<DigitRecord> records() {
        return rows.javaRDD().mapPartitionsWithIndex((split, it) -> {
            long first = offsets[split];
            if (first >= count) return java.util.Collections.emptyIterator();
            return new Iterator<DigitRecord>() {
                long position = first;

                @Override
                public boolean hasNext() {
                    return position < count && it.hasNext();
                }

                @Override
                public DigitRecord next() {
                    return record(it.next(), position++);
                }
            };
        }, true);
    }

    DigitRecord record(Row row, long position) {
        String id = kind == Kind.IMAGE_FILE ? row.getString(1) : hasId ? row.getString(1) : "row " + position;
        if (id == null) return DigitRecord.bad("row " + position, position, "no id (null)");
        DigitImages.Decoded image = image(row, 0, kind != Kind.NUMBERS);
        if (image.problem() != null) return DigitRecord.bad(id, position, image.problem());
        int label = DigitRecord.UNLABELLED;
        if (kind == Kind.IMAGE_FILE) label = folderLabel(id);
        else if (hasLabel) {
            int column = hasId ? 2 : 1;
            if (!row.isNullAt(column)) {
                label = row.getInt(column);
                if (label < 0 || label > 9) return DigitRecord.bad(id, position, "label " + label + ", expected 0-9");
            }
        }
        return DigitRecord.good(id, position, label, image.pixels());
    }

    /** DIR/7/x.png is a 7; any other folder name leaves the image unlabelled. */
    static int folderLabel(String path) {
        int slash = path.lastIndexOf('/');
        int before = slash <= 0 ? -1 : path.lastIndexOf('/', slash - 1);
        String folder = slash <= 0 ? "" : path.substring(before + 1, slash);
        return folder.length() == 1 && Character.isDigit(folder.charAt(0)) ? folder.charAt(0) - '0' : DigitRecord.UNLABELLED;
    }
}
