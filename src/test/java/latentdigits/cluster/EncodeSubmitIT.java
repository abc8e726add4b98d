package latentdigits.cluster;

import latentdigits.testing.SubmitProcess;
import latentdigits.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A user's view of a bad input: ./submit.sh encode over a tree of images with a corrupt one prints one line naming the
 * file (none of Spark's stack traces of the failed task), exits 2 and leaves nothing behind.
 */
class EncodeSubmitIT {
    @TempDir
    Path tmp;

    @Test
    void aCorruptImageEndsTheJobWithOneLineNamingIt() throws Exception {
        Path model = TestData.untrainedVae(tmp.resolve("model"), 3);
        Path images = Files.createDirectories(tmp.resolve("images").resolve("3"));
        Files.write(images.resolve("fine.png"), latentdigits.encode.EncodeInputsIT.png(new byte[784], 28));
        Files.write(images.resolve("garbled.png"), new byte[300]);
        SubmitProcess.Result r = SubmitProcess.run(Duration.ofMinutes(3), "encode", "--model", model.toString(),
                "--input", tmp.resolve("images").toString(), "--out", tmp.resolve("out").toString());
        assertEquals(2, r.exitCode(), r.output());
        assertEquals("encode: error: file:" + images.resolve("garbled.png") + ": 300 bytes, neither 784 raw pixels nor a PNG or JPEG image"
                + " (--skip-bad-records encodes the rest and lists it in _rejected)", r.output().strip(), "exactly one line, naming the file");
        assertFalse(Files.exists(tmp.resolve("out")));
    }
}
