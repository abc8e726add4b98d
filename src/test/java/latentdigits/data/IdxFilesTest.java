package latentdigits.data;

import latentdigits.testing.IdxWriter;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static latentdigits.testing.IdxWriter.idx;
import static latentdigits.testing.IdxWriter.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxFilesTest {
    private final Configuration conf = new Configuration();
    @TempDir
    Path dir;

    private String message(Path file, int rank) {
        return assertThrows(DataFileException.class, () -> IdxFiles.readHeader(file.toString(), rank, conf)).getMessage();
    }

    @Test
    void readsRawAndGzippedFilesAndRecordRanges() throws IOException {
        IdxWriter.mnistPair(dir, "train", 12, false);
        IdxWriter.mnistPair(dir, "t10k", 5, true);
        DigitSource train = DigitSource.open(dir.toString(), DigitSource.Split.TRAIN, conf);
        DigitSource test = DigitSource.open(dir.toString(), DigitSource.Split.TEST, conf);
        assertEquals(12, train.count());
        assertEquals(5, test.count());
        assertTrue(test.images().gzipped());
        DigitBlock block = train.read(3, 4, conf);
        assertArrayEquals(new long[]{3, 4, 5, 6}, block.indices());
        assertEquals(3, block.label(0));
        assertEquals((byte) ((4 * 7 + 10) % 256), block.pixels()[784 + 10]);
        DigitBlock gz = test.read(2, 3, conf);
        assertEquals(4, gz.label(2));
        assertEquals((byte) ((3 * 7 + 5) % 256), gz.pixels()[784 + 5]);
        float[] scaled = block.scaledPixels(0, 1, -1f, 1f);
        assertEquals(-1f + 2f * ((3 * 7) % 256) / 255f, scaled[0], 1e-6);
    }

    @Test
    void tiledSourcesRepeatTheFilesEndToEnd() throws IOException {
        IdxWriter.mnistPair(dir, "t10k", 12, false);
        DigitSource tiled = DigitSource.open(dir.toString(), DigitSource.Split.TEST, conf).tiled(3);
        assertEquals(36, tiled.count());
        DigitBlock block = tiled.read(10, 5, conf); // records 10, 11 | 0, 1, 2 of the file
        assertArrayEquals(new long[]{10, 11, 12, 13, 14}, block.indices());
        assertEquals(0, block.label(2)); // record 12 is file record 0
        assertEquals((byte) ((11 * 7 + 3) % 256), block.pixels()[784 + 3]);
        assertEquals((byte) ((7 + 3) % 256), block.pixels()[3 * 784 + 3]);
        assertThrows(IllegalArgumentException.class, () -> tiled.read(30, 7, conf));
    }

    @Test
    void missingFileIsNamed() {
        String m = message(dir.resolve("nope-idx3-ubyte"), 3);
        assertTrue(m.contains("nope-idx3-ubyte") && m.contains("not found"), m);
        String located = assertThrows(DataFileException.class, () -> DigitSource.open(dir.toString(), DigitSource.Split.TRAIN, conf)).getMessage();
        assertTrue(located.contains("train-images-idx3-ubyte") && located.contains("fetch-data"), located);
    }

    @Test
    void badMagicIsReported() throws IOException {
        Path f = write(dir, "a", idx(0x12340803, new int[]{1, 28, 28}, new byte[784]));
        String m = message(f, 3);
        assertTrue(m.contains("magic") && m.contains("0x12340803"), m);
    }

    @Test
    void wrongElementTypeIsReported() throws IOException {
        Path f = write(dir, "a", idx(0x0D03, new int[]{1, 28, 28}, new byte[784 * 4]));
        String m = message(f, 3);
        assertTrue(m.contains("unsigned byte") && m.contains("0x0D"), m);
    }

    @Test
    void wrongRankIsReported() throws IOException {
        Path f = write(dir, "a", idx(0x801, new int[]{3}, new byte[3]));
        String m = message(f, 3);
        assertTrue(m.contains("expected 3 dimensions") && m.contains("found 1 dimensions"), m);
    }

    @Test
    void truncatedHeaderIsReported() throws IOException {
        Path f = write(dir, "a", new byte[]{0, 0, 8, 3, 0, 0, 0, 1});
        String m = message(f, 3);
        assertTrue(m.contains("3 dimension sizes") && m.contains("after 1"), m);
        Path tiny = write(dir, "b", new byte[]{0, 0});
        assertTrue(message(tiny, 3).contains("shorter than 4 bytes"));
    }

    @Test
    void byteLengthMustMatchHeaderExactly() throws IOException {
        Path shortFile = write(dir, "short", idx(0x803, new int[]{2, 28, 28}, new byte[784 + 100]));
        String m = message(shortFile, 3);
        assertTrue(m.contains("expected " + (16 + 2 * 784) + " bytes") && m.contains("found " + (16 + 884) + " bytes"), m);
        Path longFile = write(dir, "long", idx(0x801, new int[]{2}, new byte[3]));
        String l = message(longFile, 1);
        assertTrue(l.contains("expected 10 bytes") && l.contains("found 11 bytes"), l);
        Path gz = write(dir, "short.gz", idx(0x801, new int[]{5}, new byte[4]));
        String g = message(gz, 1);
        assertTrue(g.contains("expected 5 bytes of data") && g.contains("found 4 bytes after decompression"), g);
    }

    @Test
    void nonPositiveDimensionIsReported() throws IOException {
        Path f = write(dir, "a", idx(0x803, new int[]{1, 0, 28}, new byte[0]));
        String m = message(f, 3);
        assertTrue(m.contains("positive size of dimension 1") && m.contains("found 0"), m);
    }

    @Test
    void imageSizeAndCountsMustMatch() throws IOException {
        write(dir, "train-images-idx3-ubyte", idx(0x803, new int[]{2, 28, 28}, new byte[2 * 784]));
        write(dir, "train-labels-idx1-ubyte", idx(0x801, new int[]{3}, new byte[3]));
        String m = assertThrows(DataFileException.class, () -> DigitSource.open(dir.toString(), DigitSource.Split.TRAIN, conf)).getMessage();
        assertTrue(m.contains("train-labels-idx1-ubyte") && m.contains("expected 2 labels") && m.contains("found 3 labels"), m);

        Files.delete(dir.resolve("train-images-idx3-ubyte"));
        write(dir, "train-images-idx3-ubyte", idx(0x803, new int[]{3, 20, 20}, new byte[3 * 400]));
        String s = assertThrows(DataFileException.class, () -> DigitSource.open(dir.toString(), DigitSource.Split.TRAIN, conf)).getMessage();
        assertTrue(s.contains("28x28") && s.contains("found 20x20"), s);
    }

    @Test
    void labelsMustBeDigits() throws IOException {
        write(dir, "train-images-idx3-ubyte", idx(0x803, new int[]{2, 28, 28}, new byte[2 * 784]));
        write(dir, "train-labels-idx1-ubyte", idx(0x801, new int[]{2}, new byte[]{3, 12}));
        DigitSource source = DigitSource.open(dir.toString(), DigitSource.Split.TRAIN, conf);
        String m = assertThrows(DataFileException.class, () -> source.readAll(conf)).getMessage();
        assertTrue(m.contains("labels 0-9") && m.contains("label 12 at record 1"), m);
    }

    @Test
    void writtenImagesReadBack() throws IOException {
        byte[] px = new byte[3 * 784];
        Arrays.fill(px, (byte) 200);
        Path f = write(dir, "samples.idx", IdxFiles.imagesBytes(3, 28, 28, px));
        IdxHeader h = IdxFiles.readHeader(f.toString(), 3, conf);
        assertEquals(3, h.count());
        assertArrayEquals(px, IdxFiles.readRecords(h, 0, 3, conf));
    }
}
