package latentdigits.data;

import latentdigits.util.HadoopFs;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads and writes unsigned-byte IDX files through Hadoop's FileSystem API, so file:, hdfs: and s3a: paths all work.
 * Every header field is checked and every failure names the file, what was expected and what was found.
 * Raw files are read by seeking to any record, which lets executors each read their own slice of a large file.
 */
public final class IdxFiles {
    private IdxFiles() {
    }

    /** Reads and validates the header; for raw files also checks that the byte length is exactly header + records. */
    public static IdxHeader readHeader(String file, int expectedRank, Configuration conf) {
        Path path = new Path(file);
        try {
            FileSystem fs = HadoopFs.of(path, conf);
            if (!fs.exists(path)) throw new DataFileException(file + ": file not found");
            FileStatus status = fs.getFileStatus(path);
            if (status.isDirectory()) throw DataFileException.of(file, "an IDX file", "a directory");
            boolean gz = file.endsWith(".gz");
            try (InputStream raw = fs.open(path);
                 DataInputStream in = new DataInputStream(new BufferedInputStream(gz ? new GZIPInputStream(raw) : raw))) {
                IdxHeader header = parseHeader(file, in, expectedRank, gz);
                if (gz) {
                    long payload = countRemaining(in);
                    long expected = (long) header.count() * header.recordSize();
                    if (payload != expected)
                        throw DataFileException.of(file, expected + " bytes of data after the header (" + header.describe() + ")",
                                payload + " bytes after decompression");
                } else if (status.getLen() != header.expectedFileBytes()) {
                    throw DataFileException.of(file, header.expectedFileBytes() + " bytes (" + header.describe() + ")",
                            status.getLen() + " bytes");
                }
                return header;
            }
        } catch (IOException e) {
            throw new DataFileException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static IdxHeader parseHeader(String file, DataInputStream in, int expectedRank, boolean gz) throws IOException {
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw DataFileException.of(file, "a 4-byte IDX magic number", "a file shorter than 4 bytes");
        }
        if ((magic >>> 16) != 0)
            throw DataFileException.of(file, "magic number starting with two zero bytes (IDX)", String.format("0x%08X", magic));
        int type = (magic >>> 8) & 0xFF;
        int rank = magic & 0xFF;
        if (type != IdxHeader.UNSIGNED_BYTE)
            throw DataFileException.of(file, String.format("element type 0x08 (unsigned byte)"), String.format("type 0x%02X", type));
        if (rank != expectedRank)
            throw DataFileException.of(file, expectedRank + " dimensions (magic " + ((IdxHeader.UNSIGNED_BYTE << 8) | expectedRank) + ")",
                    rank + " dimensions (magic " + magic + ")");
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            try {
                dims[i] = in.readInt();
            } catch (EOFException e) {
                throw DataFileException.of(file, rank + " dimension sizes in the header", "the file ending after " + i);
            }
            if (dims[i] < 0 || (i > 0 && dims[i] == 0))
                throw DataFileException.of(file, "positive size of dimension " + i, String.valueOf(dims[i]));
        }
        return new IdxHeader(file, rank, dims, gz);
    }

    private static long countRemaining(InputStream in) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) total += n;
        return total;
    }

    /** Reads records [first, first+count) of a validated file: a seek for raw files, a skip for gzipped ones. */
    public static byte[] readRecords(IdxHeader header, long first, int count, Configuration conf) {
        if (first < 0 || count < 0 || first + count > header.count())
            throw new IllegalArgumentException(header.file() + ": records [" + first + ", " + (first + count) + ") requested, file holds " + header.count());
        byte[] out = new byte[Math.multiplyExact(count, header.recordSize())];
        Path path = new Path(header.file());
        long offset = header.headerBytes() + first * header.recordSize();
        try {
            FileSystem fs = HadoopFs.of(path, conf);
            if (header.gzipped()) {
                try (InputStream in = new DataInputStream(new GZIPInputStream(fs.open(path), 1 << 16))) {
                    in.skipNBytes(offset);
                    ((DataInputStream) in).readFully(out);
                }
            } else {
                try (FSDataInputStream in = fs.open(path, 1 << 20)) {
                    in.readFully(offset, out);
                }
            }
        } catch (IOException e) {
            throw new DataFileException(header.file() + ": cannot read records " + first + ".." + (first + count) + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Decompresses a gzipped IDX file once, into {@code target} (temporary name, then rename), checking its header and
     * that the data is exactly as long as the header says; readers then seek in the copy instead of decompressing from
     * the start for every range they read.
     */
    public static void gunzip(String gzFile, String target, int expectedRank, Configuration conf) {
        Path source = new Path(gzFile), copy = new Path(target);
        try {
            FileSystem in = HadoopFs.of(source, conf);
            if (!in.exists(source)) throw new DataFileException(gzFile + ": file not found");
            try (DataInputStream data = new DataInputStream(new BufferedInputStream(new GZIPInputStream(in.open(source), 1 << 16), 1 << 16))) {
                IdxHeader header = parseHeader(gzFile, data, expectedRank, true);
                long expected = (long) header.count() * header.recordSize();
                HadoopFs.writeAtomically(target, conf, out -> {
                    DataOutputStream raw = new DataOutputStream(out);
                    raw.writeInt(header.magic());
                    for (int d : header.dims()) raw.writeInt(d);
                    byte[] buffer = new byte[1 << 16];
                    long copied = 0;
                    for (int n; (n = data.read(buffer)) > 0; copied += n) {
                        if (copied + n > expected)
                            throw DataFileException.of(gzFile, expected + " bytes of data after the header (" + header.describe() + ")",
                                    "more after decompression");
                        raw.write(buffer, 0, n);
                    }
                    if (copied != expected)
                        throw DataFileException.of(gzFile, expected + " bytes of data after the header (" + header.describe() + ")",
                                copied + " bytes after decompression");
                    raw.flush();
                });
            }
            if (!HadoopFs.of(copy, conf).exists(copy)) throw new DataFileException(gzFile + ": decompressed copy " + target + " missing");
        } catch (java.util.zip.ZipException e) {
            throw new DataFileException(gzFile + ": not a valid gzip file (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            throw new DataFileException(gzFile + ": the gzip stream ends early (truncated file)", e);
        } catch (IOException e) {
            throw new DataFileException(gzFile + ": cannot decompress: " + e.getMessage(), e);
        }
    }

    /** Writes an unsigned-byte IDX file (count x rows x cols) in one go; callers stage it and rename when complete. */
    public static void writeImages(OutputStream target, int count, int rows, int cols, byte[] pixels) throws IOException {
        if (pixels.length != (long) count * rows * cols)
            throw new IllegalArgumentException("pixels: expected " + ((long) count * rows * cols) + " bytes, found " + pixels.length);
        DataOutputStream out = new DataOutputStream(target);
        out.writeInt((IdxHeader.UNSIGNED_BYTE << 8) | 3);
        out.writeInt(count);
        out.writeInt(rows);
        out.writeInt(cols);
        out.write(pixels);
        out.flush();
    }

    /** For tests and small tools: an in-memory IDX image file. */
    public static byte[] imagesBytes(int count, int rows, int cols, byte[] pixels) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            writeImages(bytes, count, rows, cols, pixels);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

}
