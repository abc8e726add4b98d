package latentdigits.jobs;

import latentdigits.data.IdxFiles;
import latentdigits.data.IdxHeader;
import latentdigits.model.MlpVae;
import latentdigits.model.VaeModel;
import latentdigits.model.VaeNetworks;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleJobTest {
    @TempDir
    Path tmp;

    @Test
    void writesAnIdxFileOfNDigitsAndAPngSheet() throws Exception {
        VaeModel vae = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 8, DataType.FLOAT));
        Path model = Files.createDirectories(tmp.resolve("run")).resolve("model.zip");
        Files.write(model, vae.toBytes(Map.of()));
        Path idx = tmp.resolve("out/samples.idx"), png = tmp.resolve("out/samples.png");
        Configuration conf = new Configuration();
        byte[] pixels = SampleJob.sample(SampleJob.OPTIONS.parse(new String[]{"--model", model.toString(), "--n", "37",
                "--out", idx.toString(), "--png", png.toString(), "--batch", "10"}), conf);

        IdxHeader header = IdxFiles.readHeader(idx.toString(), 3, conf);
        assertArrayEquals(new int[]{37, 28, 28}, header.dims());
        assertArrayEquals(pixels, IdxFiles.readRecords(header, 0, 37, conf));
        // the same draws (seed 1 from conf/sample.properties, batches of 10), decoded and mapped to 0-255 by hand
        org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(1);
        for (int from = 0; from < 37; from += 10) {
            int count = Math.min(10, 37 - from);
            float[] p = vae.decode(org.nd4j.linalg.factory.Nd4j.randn(DataType.FLOAT, count, 2)).dup('c').data().asFloat();
            for (int i = 0; i < p.length; i++)
                assertEquals(Math.round(p[i] * 255f), pixels[from * 784 + i] & 0xFF, 1, "pixel " + (from * 784 + i));
        }
        BufferedImage sheet = ImageIO.read(png.toFile());
        assertNotNull(sheet);
        assertEquals(10 * 58 + 2 + 40, sheet.getWidth());
        assertEquals(4 * 58 + 2 + 56, sheet.getHeight());
        try (var files = Files.list(tmp.resolve("out"))) {
            assertEquals(List.of("samples.idx", "samples.idx.json", "samples.png"), files.map(f -> f.getFileName().toString()).sorted().toList(),
                    "the two outputs and the record of how they were made, no temporary files or lock");
        }

        int again = JobsTest.run(SampleJob.OPTIONS, a -> {
            SampleJob.sample(a, conf);
            return 0;
        }, "--model", model.toString(), "--n", "5", "--out", idx.toString()).code();
        assertEquals(2, again, "an existing output made otherwise is not overwritten without --overwrite");
        assertEquals(37, IdxFiles.readHeader(idx.toString(), 3, conf).count());
    }

    @Test
    void samplesAGanModelToo() throws Exception {
        latentdigits.model.GanModel gan = latentdigits.model.GanModel.create(latentdigits.model.GanNetworks.Spec.study(1e-3, 0.5, 9));
        Path model = Files.createDirectories(tmp.resolve("gan")).resolve("model.zip");
        Files.write(model, gan.toBytes(Map.of()));
        Path idx = tmp.resolve("gan.idx");
        Configuration conf = new Configuration();
        byte[] pixels = SampleJob.sample(SampleJob.OPTIONS.parse(new String[]{"--model", model.toString(), "--n", "12",
                "--out", idx.toString(), "--seed", "4"}), conf);
        assertArrayEquals(new int[]{12, 28, 28}, IdxFiles.readHeader(idx.toString(), 3, conf).dims());
        org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(4);
        float[] p = gan.pixels(org.nd4j.linalg.factory.Nd4j.randn(DataType.FLOAT, 12, 150)).dup('c').data().asFloat();
        for (int i = 0; i < p.length; i++)
            assertEquals(Math.round(p[i] * 255f), pixels[i] & 0xFF, 1, "pixel " + i + ": tanh output mapped back to 0-255");
    }
}
