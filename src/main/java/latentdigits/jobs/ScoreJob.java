package latentdigits.jobs;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.data.IdxFiles;
import latentdigits.data.IdxHeader;
import latentdigits.model.DigitClassifier;
import latentdigits.model.ModelFiles;
import latentdigits.score.SampleScore;
import latentdigits.util.HadoopFs;
import latentdigits.util.Json;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Judges generated digits with the project's classifier: which digits they look like (histogram), how sure the
 * classifier is (mean max softmax), and how far their penultimate-layer features lie from those of the 10,000 test
 * images (Fréchet distance). Works for any IDX file of 28 x 28 images: GAN or VAE samples, or the test set itself.
 */
public final class ScoreJob {
    static final Options OPTIONS = new Options("score",
            "Scores an IDX file of generated digits with a trained classifier: class histogram, confidence, Fréchet distance to the test set.")
            .value("classifier", "FILE", "model.zip written by train-classifier")
            .value("samples", "FILE", "IDX ubyte file of N x 28 x 28 images (e.g. from the sample job)")
            .value("data", "DIR", "folder with the MNIST IDX files; its 10,000 test images are the reference")
            .value("out", "FILE", "JSON report to write (default: the samples file + .score.json)")
            .value("batch", "B", "images per classifier call")
            .toggle("overwrite", "replace an existing report");

    private ScoreJob() {
    }

    public static void main(String[] args) {
        JobMain.main(OPTIONS, args, a -> {
            score(a, new Configuration());
            return 0;
        });
    }

    public static Map<String, Object> score(Options.Args a, Configuration conf) throws Exception {
        String classifierFile = a.require("classifier"), samplesFile = a.require("samples");
        String out = a.getOr("out", samplesFile + ".score.json");
        SampleJob.refuseExisting("--out", out, a.flag("overwrite"), conf);
        int batch = a.integer("batch", 1);
        IdxHeader header = IdxFiles.readHeader(samplesFile, 3, conf);
        if (header.dims()[1] != DigitSource.SIDE || header.dims()[2] != DigitSource.SIDE)
            throw new UserError("--samples " + samplesFile + ": expected images of 28 x 28, found " + header.dims()[1] + " x " + header.dims()[2]);
        if (header.count() < 2) throw new UserError("--samples " + samplesFile + ": expected at least 2 images, found " + header.count());
        DigitClassifier classifier = DigitClassifier.fromLoaded(
                ModelFiles.fromBytes(ModelFiles.readBytes(classifierFile, conf), classifierFile), classifierFile);
        DigitBlock test = DigitSource.open(a.require("data"), DigitSource.Split.TEST, conf).readAll(conf);

        SampleScore reference = SampleScore.of(classifier, test, batch);
        byte[] pixels = IdxFiles.readRecords(header, 0, header.count(), conf);
        SampleScore samples = SampleScore.of(classifier, DigitBlock.contiguous(0, pixels, new byte[header.count()]), batch); // unlabelled
        Map<String, Object> report = samples.report(reference, "test images of " + a.require("data") + " (" + test.size() + ")");
        report.put("samples", samplesFile);
        report.put("classifier", classifierFile);
        String json = Json.pretty(report);
        HadoopFs.writeAtomically(out, conf, s -> s.write(json.getBytes(StandardCharsets.UTF_8)));
        System.out.println(json);
        System.out.println("score: wrote " + out);
        return report;
    }
}
