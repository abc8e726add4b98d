package latentdigits.data;

import latentdigits.testing.IdxWriter;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The input's format is told from names, then magic bytes, and what cannot be told is said with what was found. */
class DigitInputsTest {
    @TempDir
    Path tmp;
    final Configuration conf = new Configuration();

    DigitInputs.Format detect(Path path) {
        return DigitInputs.detect(path.toString(), DigitInputs.matched(path.toString(), conf), conf);
    }

    @Test
    void formatsAreToldFromNamesThenMagicBytes() throws Exception {
        Path idx = IdxWriter.write(Files.createDirectories(tmp.resolve("a")), "data", IdxWriter.idx(0x803, new int[]{1, 28, 28}, new byte[784]));
        assertEquals(DigitInputs.Format.IDX, detect(idx));
        Path gz = IdxWriter.write(Files.createDirectories(tmp.resolve("b")), "data.gz", IdxWriter.idx(0x803, new int[]{1, 28, 28}, new byte[784]));
        assertEquals(DigitInputs.Format.IDX, detect(gz.getParent()), "a gzip file's decompressed magic");
        Path parquet = Files.createDirectories(tmp.resolve("c"));
        Files.writeString(parquet.resolve("_SUCCESS"), "");
        Files.write(parquet.resolve("part-0"), new byte[]{'P', 'A', 'R', '1', 0});
        assertEquals(DigitInputs.Format.PARQUET, detect(parquet), "hidden files are skipped as Spark skips them");
        Path png = Files.createDirectories(tmp.resolve("d").resolve("7"));
        Files.write(png.resolve("x"), new byte[]{(byte) 0x89, 'P', 'N', 'G'});
        assertEquals(DigitInputs.Format.IMAGES, detect(tmp.resolve("d")));
        assertEquals(DigitInputs.Format.IMAGES, detect(png.resolve("x")));
        assertEquals(DigitInputs.Format.PARQUET, DigitInputs.detect("t.parquet", null, conf));
        assertEquals(DigitInputs.Format.IDX, DigitInputs.detect("train-images-idx3-ubyte.gz", null, conf));
    }

    @Test
    void whatCannotBeReadIsSaid() throws Exception {
        Path text = Files.writeString(Files.createDirectories(tmp.resolve("t")).resolve("notes"), "hello");
        DataFileException unknown = assertThrows(DataFileException.class, () -> detect(text));
        assertTrue(unknown.getMessage().contains("notes starts with 68 65 6c 6c") && unknown.getMessage().contains("give --format idx|parquet|images"),
                unknown.getMessage());
        DataFileException missing = assertThrows(DataFileException.class, () -> detect(tmp.resolve("nowhere")));
        assertTrue(missing.getMessage().endsWith("nowhere: no such file or directory"), missing.getMessage());
        DataFileException empty = assertThrows(DataFileException.class, () -> detect(Files.createDirectories(tmp.resolve("empty"))));
        assertTrue(empty.getMessage().contains("no files found"), empty.getMessage());
        assertEquals("--format: expected idx, parquet or images, found 'csv'",
                assertThrows(IllegalArgumentException.class, () -> DigitInputs.Format.parse("--format", "csv")).getMessage());
    }

    @Test
    void labelsAreFoundBesideImagesAndFoldersNameDigits() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("idx"));
        Path images = IdxWriter.write(dir, "set-images-idx3-ubyte.gz", IdxWriter.idx(0x803, new int[]{1, 28, 28}, new byte[784]));
        assertNull(DigitInputs.siblingLabels(images.toString(), conf));
        Path labels = IdxWriter.write(dir, "set-labels-idx1-ubyte", IdxWriter.idx(0x801, new int[]{1}, new byte[1]));
        assertEquals(labels.toUri().getPath(), new org.apache.hadoop.fs.Path(DigitInputs.siblingLabels(images.toString(), conf)).toUri().getPath());
        assertEquals(7, TableInput.folderLabel("file:/data/7/a.png"));
        assertEquals(DigitRecord.UNLABELLED, TableInput.folderLabel("file:/data/sevens/a.png"));
        assertEquals(DigitRecord.UNLABELLED, TableInput.folderLabel("a.png"));
    }
}
