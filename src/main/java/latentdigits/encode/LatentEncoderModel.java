package latentdigits.encode;

import latentdigits.data.DigitImages;
import latentdigits.data.DigitRecord;
import latentdigits.data.TableInput;
import latentdigits.model.ModelFiles;
import latentdigits.model.VaeModel;
import latentdigits.util.LazyIterators;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A trained VAE's encoder as a Spark ML stage: {@code LatentEncoderModel.load(path).transform(df)} adds each image's
 * encoder mean and log-variance (ML vectors, ready for KMeans, a classifier or a nearest-neighbour search) and, when
 * {@code nelboCol} is set, its negative ELBO. The image column holds what the encode job's Parquet input does: 784 raw
 * bytes, PNG or JPEG bytes, or an array of 784 numbers. It runs the same code as the encode job, batch for batch.
 * The negative ELBO samples z once, seeded by each batch's first position: with {@code positionCol} (a long column)
 * it repeats the encode job's values exactly for the same partitions and batch size; without it, positions count rows
 * within each partition. Persisted as the model file itself (load it again); it is not an MLWritable stage.
 */
public final class LatentEncoderModel extends Transformer {
    private final String uid;
    private final byte[] modelZip;
    private final int latent;

    private final Param<String> imageCol;
    private final Param<String> muCol;
    private final Param<String> logvarCol;
    private final Param<String> nelboCol;
    private final Param<String> positionCol;
    private final Param<String> handleInvalid;
    private final IntParam batchSize;

    public LatentEncoderModel(String uid, byte[] modelZip) {
        this.uid = uid; // before the params: each is named after its parent's uid
        this.imageCol = new Param<>(this, "imageCol", "column of images: binary (784 raw bytes, PNG, JPEG) or array of 784 numbers");
        this.muCol = new Param<>(this, "muCol", "output column of encoder means (vector)");
        this.logvarCol = new Param<>(this, "logvarCol", "output column of encoder log-variances (vector)");
        this.nelboCol = new Param<>(this, "nelboCol", "output column of each image's negative ELBO, nats (empty: not computed)");
        this.positionCol = new Param<>(this, "positionCol", "long column seeding the negative ELBO's noise per batch (empty: row within partition)");
        this.handleInvalid = new Param<>(this, "handleInvalid", "an image that cannot be encoded: error (fail) or skip (drop the row)",
            ParamValidators.inArray(new String[]{"error", "skip"}));
        this.batchSize = new IntParam(this, "batchSize", "images per encoder call", ParamValidators.gtEq(1));
        this.modelZip = modelZip.clone();
        try {
            this.latent = VaeModel.fromLoaded(ModelFiles.fromBytes(modelZip, uid), uid).latent();
        } catch (IOException e) {
            throw new IllegalArgumentException("not a VAE model file: " + e.getMessage(), e);
        }
        setDefault(imageCol, "image");
        setDefault(muCol, "mu");
        setDefault(logvarCol, "logvar");
        setDefault(nelboCol, "");
        setDefault(positionCol, "");
        setDefault(handleInvalid, "error");
        setDefault(batchSize, 10_000);
    }

    /** From a model.zip written by train-vae, its run directory, or MODELS/latest (any Hadoop path). */
    public static LatentEncoderModel load(String path) throws IOException {
        SparkSession spark = SparkSession.active();
        byte[] zip = ModelFiles.readBytes(path, "LatentEncoderModel.load", spark.sparkContext().hadoopConfiguration());
        return new LatentEncoderModel(Identifiable$.MODULE$.randomUID("latentEncoder"), zip);
    }

    public Param<String> imageCol() { return imageCol; }
    public Param<String> muCol() { return muCol; }
    public Param<String> logvarCol() { return logvarCol; }
    public Param<String> nelboCol() { return nelboCol; }
    public Param<String> positionCol() { return positionCol; }
    public Param<String> handleInvalid() { return handleInvalid; }
    public IntParam batchSize() { return batchSize; }

    public LatentEncoderModel setImageCol(String v) { set(imageCol, v); return this; }
    public LatentEncoderModel setMuCol(String v) { set(muCol, v); return this; }
    public LatentEncoderModel setLogvarCol(String v) { set(logvarCol, v); return this; }
    public LatentEncoderModel setNelboCol(String v) { set(nelboCol, v); return this; }
    public LatentEncoderModel setPositionCol(String v) { set(positionCol, v); return this; }
    public LatentEncoderModel setHandleInvalid(String v) { set(handleInvalid, v); return this; }
    public LatentEncoderModel setBatchSize(int v) { set(batchSize, v); return this; }

    /** Dimensions of the latent space. */
    public int latent() {
        return latent;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String image = $(imageCol);
        StructField field = Arrays.stream(schema.fields()).filter(f -> f.name().equals(image)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("imageCol: no column '" + image + "' in columns " + String.join(", ", schema.fieldNames())));
        DataType type = field.dataType();
        if (!TableInput.isImageColumn(type))
            throw new IllegalArgumentException("imageCol: column '" + image + "' is " + type.simpleString()
                    + ", expected binary (784 raw bytes, PNG or JPEG) or an array of 784 numbers");
        if (!$(positionCol).isEmpty()) {
            StructField position = Arrays.stream(schema.fields()).filter(f -> f.name().equals($(positionCol))).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("positionCol: no column '" + $(positionCol) + "'"));
            if (!(position.dataType() instanceof LongType))
                throw new IllegalArgumentException("positionCol: column '" + $(positionCol) + "' is " + position.dataType().simpleString() + ", expected bigint");
        }
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        for (String out : outputColumns()) {
            if (Arrays.asList(schema.fieldNames()).contains(out)) throw new IllegalArgumentException("output column '" + out + "' exists already");
        }
        fields.add(DataTypes.createStructField($(muCol), SQLDataTypes.VectorType(), false));
        fields.add(DataTypes.createStructField($(logvarCol), SQLDataTypes.VectorType(), false));
        if (!$(nelboCol).isEmpty()) fields.add(DataTypes.createStructField($(nelboCol), DataTypes.DoubleType, false));
        return DataTypes.createStructType(fields);
    }

    private List<String> outputColumns() {
        List<String> out = new ArrayList<>(List.of($(muCol), $(logvarCol)));
        if (!$(nelboCol).isEmpty()) out.add($(nelboCol));
        return out;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema());
        StructType inSchema = dataset.schema();
        int imageIndex = inSchema.fieldIndex($(imageCol));
        boolean binary = inSchema.fields()[imageIndex].dataType().equals(DataTypes.BinaryType);
        int positionIndex = $(positionCol).isEmpty() ? -1 : inSchema.fieldIndex($(positionCol));
        boolean withLoss = !$(nelboCol).isEmpty(), skip = $(handleInvalid).equals("skip");
        int batch = (int) getOrDefault(batchSize), k = latent;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        Broadcast<byte[]> model = jsc.broadcast(modelZip);
        JavaRDD<Row> out = dataset.toDF().javaRDD().mapPartitionsWithIndex((split, rows) -> {
            long[] next = {0};
            return LazyIterators.flatMap(LazyIterators.batches(rows, batch), group -> {
                List<Row> kept = new ArrayList<>(group.size());
                List<DigitRecord> records = new ArrayList<>(group.size());
                for (Row row : group) {
                    long position = positionIndex >= 0 ? row.getLong(positionIndex) : ((long) split << 40) + next[0];
                    next[0]++;
                    DigitImages.Decoded image = TableInput.image(row, imageIndex, binary);
                    if (image.problem() != null) {
                        if (skip) continue;
                        throw new IllegalArgumentException("row " + position + ": image " + image.problem() + " (handleInvalid=skip drops such rows)");
                    }
                    kept.add(row);
                    records.add(DigitRecord.good("row " + position, position, DigitRecord.UNLABELLED, image.pixels()));
                }
                if (records.isEmpty()) return List.of();
                LatentEncoder.Encoded e = LatentEncoder.encodeBatch(model, records, withLoss);
                List<Row> result = new ArrayList<>(kept.size());
                for (int i = 0; i < kept.size(); i++) {
                    Row row = kept.get(i);
                    Object[] values = Arrays.copyOf(seqValues(row), row.length() + (withLoss ? 3 : 2));
                    values[row.length()] = Vectors.dense(toDoubles(e.mu(i, k)));
                    values[row.length() + 1] = Vectors.dense(toDoubles(e.logvar(i, k)));
                    if (withLoss) values[row.length() + 2] = e.xent()[i] + e.kl()[i];
                    result.add(RowFactory.create(values));
                }
                return result;
            });
        }, true);
        return dataset.sparkSession().createDataFrame(out, outSchema);
    }

    private static Object[] seqValues(Row row) {
        Object[] values = new Object[row.length()];
        for (int i = 0; i < values.length; i++) values[i] = row.get(i);
        return values;
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    @Override
    public LatentEncoderModel copy(ParamMap extra) {
        return copyValues(new LatentEncoderModel(uid, modelZip), extra);
    }
}
