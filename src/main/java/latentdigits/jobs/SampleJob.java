package latentdigits.jobs;

import latentdigits.util.HadoopFs;
import latentdigits.data.DigitSource;
import latentdigits.data.IdxFiles;
import latentdigits.figures.ImageGrid;
import latentdigits.model.ModelFiles;
import latentdigits.model.VaeModel;
import latentdigits.util.RunDirectory;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import latentdigits.util.Json;
import latentdigits.util.OutputLock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Draws z ~ N(0, I), decodes it and writes the images as an IDX ubyte file (N x 28 x 28), optionally as a PNG sheet. */
public final class SampleJob {
    static final Options OPTIONS = new Options("sample",
            "Decodes N draws of z ~ N(0, I) with a trained model into an IDX ubyte file (and a PNG sheet).")
            .value("model", "FILE", "model.zip written by train-vae or train-gan")
            .value("n", "N", "how many images")
            .value("out", "FILE", "IDX file to write (N x 28 x 28 unsigned bytes); FILE.json records how it was made")
            .value("png", "FILE", "also draw the first (up to 100) samples as a PNG sheet")
            .value("seed", "S", "seed of the latent draws")
            .value("batch", "B", "images decoded per call")
            .toggle("overwrite", "replace existing output files");

    private SampleJob() {
    }

    public static void main(String[] args) {
        JobMain.main(OPTIONS, args, a -> {
            sample(a, new Configuration());
            return 0;
        });
    }

    /** Writes the samples (and their record, OUT.json) unless --out holds them already; returns the pixels, or null then. */
    public static byte[] sample(Options.Args a, Configuration conf) throws IOException {
        String modelFile = a.require("model");
        int n = a.integer("n", 1), batch = a.integer("batch", 1);
        String out = a.require("out"), png = a.get("png");
        String resolved = ModelFiles.resolve(modelFile, conf);
        List<String> inputs = resolved == null ? List.of(modelFile) : List.of(modelFile, new Path(resolved).getParent().toString());
        if (png != null) RunOutput.refuseOverlap("--png", png, inputs, conf);
        try (OutputLock lock = RunOutput.openFile("sample", "--out", a, out + ".json", conf, inputs)) {
            if (lock == null) return null;
            if (png != null) refuseExisting("--png", png, a.flag("overwrite"), conf);
            Generator generator = Generator.of(ModelFiles.fromBytes(ModelFiles.readBytes(modelFile, "--model", conf), modelFile), modelFile);
            byte[] pixels = generator.generate(n, a.longValue("seed", 0), batch);
            HadoopFs.writeAtomically(out, conf, s -> IdxFiles.writeImages(s, n, DigitSource.SIDE, DigitSource.SIDE, pixels));
            if (png != null) {
                int shown = Math.min(n, 100);
                float[][] images = new float[shown][DigitSource.PIXELS];
                for (int i = 0; i < shown; i++)
                    for (int j = 0; j < DigitSource.PIXELS; j++) images[i][j] = (pixels[i * DigitSource.PIXELS + j] & 0xFF) / 255f;
                byte[] bytes = RunDirectory.png(ImageGrid.sheet(images, 10, shown + " samples of " + generator.title() + ", z ~ N(0, I)"));
                HadoopFs.writeAtomically(png, conf, s -> s.write(bytes));
            }
            Map<String, Object> provenance = new LinkedHashMap<>();
            provenance.put("model", resolved);
            provenance.put("model_sha256", latentdigits.data.MnistFetcher.sha256(new java.io.ByteArrayInputStream(ModelFiles.readBytes(modelFile, "--model", conf))));
            provenance.put("git_commit", latentdigits.runtime.Provenance.currentGitCommit());
            String record = Json.pretty(RunOutput.record("sample", a, provenance));
            HadoopFs.writeAtomically(out + ".json", conf, s -> s.write(record.getBytes(StandardCharsets.UTF_8)));
            System.out.println("sample: wrote " + n + " images to " + out + (png != null ? " and " + png : ""));
            return pixels;
        }
    }

    /** What sampling needs from a model file: the latent size and z -> pixel intensities in [0, 1]. */
    record Generator(int latent, java.util.function.Function<INDArray, INDArray> pixels, String title) {
        /** {@code n} images decoded from z ~ N(0, I) drawn with {@code seed}, {@code batch} at a time, as unsigned bytes. */
        byte[] generate(int n, long seed, int batch) {
            Nd4j.getRandom().setSeed(seed);
            byte[] pixels = new byte[Math.multiplyExact(n, DigitSource.PIXELS)];
            latentdigits.util.Progress progress = new latentdigits.util.Progress("sample", "images", n);
            for (int from = 0; from < n; from += batch) {
                int count = Math.min(batch, n - from);
                INDArray z = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, count, latent);
                float[] probabilities = pixels().apply(z).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
                for (int i = 0; i < probabilities.length; i++)
                    pixels[from * DigitSource.PIXELS + i] = (byte) Math.max(0, Math.min(255, Math.round(probabilities[i] * 255f)));
                progress.advance(count);
            }
            progress.finish();
            return pixels;
        }

        static Generator of(ModelFiles.Loaded loaded, String source) {
            Object kind = loaded.metadata().get("kind");
            if (latentdigits.model.GanModel.KIND.equals(kind)) {
                latentdigits.model.GanModel gan = latentdigits.model.GanModel.fromLoaded(loaded, source);
                return new Generator(gan.spec().latent(), gan::pixels, "GAN");
            }
            VaeModel vae = VaeModel.fromLoaded(loaded, source); // names the kind it found if it is neither
            return new Generator(vae.latent(), z -> vae.decode(z.castTo(vae.graph().getConfiguration().getDataType())),
                    vae.spec().architecture().name().toUpperCase() + " VAE");
        }
    }

    static void refuseExisting(String flag, String file, boolean overwrite, Configuration conf) throws IOException {
        Path p = new Path(file);
        if (!overwrite && HadoopFs.of(p, conf).exists(p))
            throw new UserError(flag + " " + file + ": already exists; choose another file or pass --overwrite");
    }

}
