package latentdigits.encode;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.jobs.JobAccess;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import latentdigits.testing.IdxWriter;
import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import latentdigits.util.Json;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first 600 MNIST test digits held four ways — the IDX pair, a tree of PNG files in digit folders, a Parquet
 * table (raw bytes, PNG bytes and arrays of floats) and a gzipped IDX pair — encode to the same means, ids and labels;
 * a corrupt or wrongly sized file fails the job naming it, or is skipped, listed in _rejected and counted.
 */
public class EncodeInputsIT {
    static final int N = 600;

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static String model;
    static DigitBlock digits;
    /** mu_0, mu_1, label of test image i, as the IDX pair gives them. */
    static Map<Long, float[]> expected = new HashMap<>();

    @BeforeAll
    static void encodeTheIdxPair() throws Exception {
        spark = TestSpark.local2();
        model = TestData.untrainedVae(tmp.resolve("model"), 21).toString();
        Configuration conf = new Configuration();
        digits = DigitSource.open(TestData.mnist(), DigitSource.Split.TEST, conf).read(0, N, conf);
        JobAccess.encode(spark, "--model", model, "--iwae-k", "0", "--data", TestData.mnist(), "--limit", String.valueOf(N),
                "--knn-reference-limit", "3000", "--out", tmp.resolve("idx-pair").toString());
        for (Row r : table("idx-pair")) expected.put(r.getLong(1), new float[]{r.getFloat(3), r.getFloat(4), r.getInt(2)});
        assertEquals(N, expected.size());
    }

    static List<Row> table(String out) {
        return spark.read().parquet(tmp.resolve(out).resolve("latent.parquet").toString()).collectAsList();
    }

    static byte[] pixels(int i) {
        return Arrays.copyOfRange(digits.pixels(), i * 784, (i + 1) * 784);
    }

    public static byte[] png(byte[] pixels, int side) throws Exception {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < side * side && i < pixels.length; i++) image.getRaster().setSample(i % side, i / side, 0, pixels[i] & 0xFF);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** Each row's id names test image i: its mean and label must be the IDX pair's. */
    static void assertSameMeans(String out, java.util.function.Function<String, Integer> imageOfId, boolean labelled) {
        List<Row> rows = table(out);
        assertEquals(N, rows.size(), out);
        for (Row r : rows) {
            int i = imageOfId.apply(r.getString(0));
            float[] e = expected.get((long) i);
            assertEquals(e[0], r.getFloat(3), 1e-5, out + ": mu_0 of " + r.getString(0));
            assertEquals(e[1], r.getFloat(4), 1e-5, out + ": mu_1 of " + r.getString(0));
            if (labelled) assertEquals((int) e[2], r.getInt(2), out + ": label of " + r.getString(0));
        }
    }

    static Path pngTree(String name) throws Exception {
        Path dir = tmp.resolve(name);
        for (int i = 0; i < N; i++) {
            Path folder = Files.createDirectories(dir.resolve(String.valueOf(digits.label(i))));
            Files.write(folder.resolve("test-" + i + ".png"), png(pixels(i), 28));
        }
        Files.writeString(dir.resolve("README.txt"), "not an image: ignored");
        return dir;
    }

    @Test
    void aTreeOfPngFilesGivesTheSameMeansWithLabelsFromFolders() throws Exception {
        Path dir = pngTree("pngs");
        Map<String, Object> summary = JobAccess.encode(spark, "--model", model, "--iwae-k", "0", "--input", dir.toString(),
                "--knn-reference", TestData.mnist() + "/t10k-images-idx3-ubyte", "--knn-reference-limit", "2000",
                "--out", tmp.resolve("from-pngs").toString());
        assertSameMeans("from-pngs", id -> Integer.parseInt(id.replaceAll(".*test-(\\d+)\\.png$", "$1")), true);
        assertEquals("images", ((Map<?, ?>) summary.get("input")).get("format"));
        assertEquals(600, ((Number) summary.get("knn_evaluated")).intValue());
        assertNotNull(summary.get("knn5_accuracy"));
        assertTrue(tmp.resolve("from-pngs").resolve("scatter.png").toFile().isFile());
    }

    @Test
    void aParquetTableOfRawBytesPngBytesOrNumbersGivesTheSameMeans() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            List<Float> floats = new ArrayList<>();
            for (byte b : pixels(i)) floats.add((b & 0xFF) / 255f);
            rows.add(RowFactory.create("digit-" + i, digits.label(i), pixels(i), png(pixels(i), 28), floats));
        }
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("key", DataTypes.StringType, false),
                DataTypes.createStructField("digit", DataTypes.IntegerType, true),
                DataTypes.createStructField("raw", DataTypes.BinaryType, false),
                DataTypes.createStructField("png", DataTypes.BinaryType, false),
                DataTypes.createStructField("floats", DataTypes.createArrayType(DataTypes.FloatType), false)));
        String table = tmp.resolve("digits.parquet").toString();
        spark.createDataFrame(rows, schema).repartition(3).write().parquet(table);
        for (String column : List.of("raw", "png", "floats")) {
            Map<String, Object> summary = JobAccess.encode(spark, "--model", model, "--iwae-k", "0", "--input", table, "--image-col", column,
                    "--id-col", "key", "--label-col", "digit", "--out", tmp.resolve("from-parquet-" + column).toString());
            assertSameMeans("from-parquet-" + column, id -> Integer.parseInt(id.substring("digit-".length())), true);
            assertEquals("parquet", ((Map<?, ?>) summary.get("input")).get("format"));
        }
        Map<String, Object> noId = JobAccess.encode(spark, "--model", model, "--iwae-k", "0", "--input", table, "--format", "parquet",
                "--image-col", "raw", "--out", tmp.resolve("from-parquet-no-id").toString());
        assertEquals((long) N, ((Number) noId.get("n")).longValue());
        assertTrue(table("from-parquet-no-id").stream().allMatch(r -> r.isNullAt(2) && r.getString(0).equals("row " + r.getLong(1))));
    }

    @Test
    void aGzippedIdxPairGivesTheSameMeansAndIsDecompressedOnce() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("gz"));
        IdxWriter.write(dir, "digits-images-idx3-ubyte.gz", IdxWriter.idx(0x803, new int[]{N, 28, 28}, Arrays.copyOf(digits.pixels(), N * 784)));
        IdxWriter.write(dir, "digits-labels-idx1-ubyte.gz", IdxWriter.idx(0x801, new int[]{N}, Arrays.copyOf(digits.labels(), N)));
        Map<String, Object> summary = JobAccess.encode(spark, "--model", model, "--iwae-k", "0", "--input", dir.toString(), "--partitions", "4",
                "--batch", "64", "--out", tmp.resolve("from-gz").toString());
        assertSameMeans("from-gz", id -> Integer.parseInt(id.substring("digits-images-idx3-ubyte.gz#".length())), true);
        assertEquals("idx", ((Map<?, ?>) summary.get("input")).get("format"));
        assertFalse(Files.exists(tmp.resolve("from-gz").resolve("_scratch")), "the decompressed copy is scratch");

        IdxWriter.write(dir, "cut-images-idx3-ubyte.gz", Arrays.copyOf(IdxWriter.idx(0x803, new int[]{N, 28, 28}, digits.pixels()), 5000));
        JobAccess.Outcome cut = JobAccess.encodeOutcome(spark, "--model", model, "--iwae-k", "0", "--input", dir.resolve("cut-images-idx3-ubyte.gz").toString(),
                "--out", tmp.resolve("from-cut").toString());
        assertEquals(2, cut.code(), cut.err());
        assertTrue(cut.err().contains("cut-images-idx3-ubyte.gz: expected 470400 bytes of data after the header"), cut.err());
        assertFalse(Files.exists(tmp.resolve("from-cut")));
    }

    @Test
    void aCorruptOrWronglySizedFileIsNamedOrSkippedAndCounted() throws Exception {
        Path dir = pngTree("pngs-with-bad");
        Files.write(dir.resolve("3").resolve("broken.png"), Arrays.copyOf(png(pixels(0), 28), 50));
        Files.write(dir.resolve("4").resolve("big.png"), png(new byte[32 * 32], 32));

        JobAccess.Outcome failed = JobAccess.encodeOutcome(spark, "--model", model, "--iwae-k", "0", "--input", dir.toString(),
                "--out", tmp.resolve("bad-fails").toString());
        assertEquals(2, failed.code(), failed.err());
        String line = failed.err().lines().filter(l -> l.startsWith("encode: error: ")).findFirst().orElse(failed.err());
        assertTrue(line.contains("broken.png: ") || line.contains("big.png: is 32 x 32, expected 28 x 28"), line);
        assertTrue(line.contains("--skip-bad-records"), line);
        assertFalse(Files.exists(tmp.resolve("bad-fails")), "no partial output");

        Map<String, Object> summary = JobAccess.encode(spark, "--model", model, "--iwae-k", "0", "--input", dir.toString(), "--skip-bad-records",
                "--out", tmp.resolve("bad-skipped").toString());
        assertEquals(2L, ((Number) summary.get("rejected")).longValue());
        assertEquals((long) N, ((Number) summary.get("n")).longValue());
        assertEquals(2L, ((Number) Json.parse(Files.readString(tmp.resolve("bad-skipped").resolve("summary.json"))).get("rejected")).longValue());
        assertSameMeans("bad-skipped", id -> Integer.parseInt(id.replaceAll(".*test-(\\d+)\\.png$", "$1")), true);
        List<Row> rejected = spark.read().parquet(tmp.resolve("bad-skipped").resolve("_rejected").toString()).orderBy("id").collectAsList();
        assertEquals(2, rejected.size());
        assertTrue(rejected.get(0).getString(0).endsWith("3/broken.png"), rejected.toString());
        assertTrue(rejected.get(0).getString(2).contains("cannot be decoded"), rejected.toString());
        assertTrue(rejected.get(1).getString(0).endsWith("4/big.png"), rejected.toString());
        assertTrue(rejected.get(1).getString(2).contains("is 32 x 32, expected 28 x 28"), rejected.toString());
    }

    @Test
    void aParquetRowThatCannotBeEncodedIsNamedByItsId() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) rows.add(RowFactory.create("ok-" + i, 7, pixels(i)));
        rows.add(RowFactory.create("short-one", 7, new byte[100]));
        rows.add(RowFactory.create("twelve", 12, pixels(0)));
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("key", DataTypes.StringType, false),
                DataTypes.createStructField("digit", DataTypes.IntegerType, true),
                DataTypes.createStructField("image", DataTypes.BinaryType, true)));
        String table = tmp.resolve("bad.parquet").toString();
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(table);
        JobAccess.Outcome failed = JobAccess.encodeOutcome(spark, "--model", model, "--iwae-k", "0", "--input", table, "--id-col", "key",
                "--label-col", "digit", "--out", tmp.resolve("bad-rows").toString());
        assertEquals(2, failed.code(), failed.err());
        assertTrue(failed.err().contains("short-one: 100 bytes, neither 784 raw pixels nor a PNG or JPEG image"), failed.err());

        Map<String, Object> skipped = JobAccess.encode(spark, "--model", model, "--iwae-k", "0", "--input", table, "--id-col", "key",
                "--label-col", "digit", "--skip-bad-records", "--out", tmp.resolve("bad-rows-skipped").toString());
        assertEquals(2L, ((Number) skipped.get("rejected")).longValue());
        List<Row> rejected = spark.read().parquet(tmp.resolve("bad-rows-skipped").resolve("_rejected").toString()).orderBy("id").collectAsList();
        assertEquals("short-one", rejected.get(0).getString(0));
        assertEquals("twelve", rejected.get(1).getString(0));
        assertEquals("label 12, expected 0-9", rejected.get(1).getString(2));

        JobAccess.Outcome wrongColumn = JobAccess.encodeOutcome(spark, "--model", model, "--iwae-k", "0", "--input", table, "--image-col", "picture",
                "--out", tmp.resolve("bad-column").toString());
        assertEquals(2, wrongColumn.code(), wrongColumn.err());
        assertTrue(wrongColumn.err().contains("expected a column 'picture' (--image-col), found columns key, digit, image"), wrongColumn.err());
    }
}
