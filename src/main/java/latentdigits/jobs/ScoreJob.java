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
import java.util.List;
import java.util.Map;
import latentdigits.util.OutputLock;

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

    /** The report (written to --out) unless --out holds it already, made with the same flags: then that report. */
    public static Map<String, Object> score(Options.Args a, Configuration conf) throws Exception {
        String classifierFile = a.require("classifier"), samplesFile = a.require("samples");
        String out = a.getOr("out", samplesFile + ".score.json");
        int batch = a.integer("batch", 1);
        String data = a.require("data");
        List<String> inputs = List.of(classifierFile, samplesFile, data);
        try (OutputLock lock = RunOutput.openFile("score", "--out", withOut(a, out), out, conf, inputs)) {
            if (lock == null) {
                org.apache.hadoop.fs.Path report = new org.apache.hadoop.fs.Path(out);
                return Json.parse(new String(HadoopFs.readIfExists(HadoopFs.of(report, conf), report), StandardCharsets.UTF_8));
            }
            IdxHeader header = IdxFiles.readHeader(samplesFile, 3, conf);
            if (header.dims()[1] != DigitSource.SIDE || header.dims()[2] != DigitSource.SIDE)
                throw new UserError("--samples " + samplesFile + ": expected images of 28 x 28, found " + header.dims()[1] + " x " + header.dims()[2]);
            if (header.count() < 2) throw new UserError("--samples " + samplesFile + ": expected at least 2 images, found " + header.count());
            DigitClassifier classifier = classifier(classifierFile, conf);
            byte[] pixels = IdxFiles.readRecords(header, 0, header.count(), conf);
            Map<String, Object> report = judge(classifier, pixels, header.count(), data, batch, conf);
            report.put("samples", samplesFile);
            report.put("classifier", classifierFile);
            Map<String, Object> provenance = new java.util.LinkedHashMap<>();
            provenance.put("git_commit", latentdigits.runtime.Provenance.currentGitCommit());
            report.putAll(RunOutput.record("score", withOut(a, out), provenance));
            String json = Json.pretty(report);
            HadoopFs.writeAtomically(out, conf, s -> s.write(json.getBytes(StandardCharsets.UTF_8)));
            System.out.println(json);
            System.out.println("score: wrote " + out);
            return report;
        }
    }

    /** The flags with --out as it defaults (beside the samples), so a rerun compares what it would write. */
    private static Options.Args withOut(Options.Args a, String out) {
        Map<String, String> values = new java.util.LinkedHashMap<>(a.effective());
        values.put("out", out);
        return new Options.Args(values);
    }

    static DigitClassifier classifier(String file, Configuration conf) throws java.io.IOException {
        return DigitClassifier.fromLoaded(ModelFiles.fromBytes(ModelFiles.readBytes(file, "--classifier", conf), file), file);
    }

    /** How {@code count} images ({@code pixels}, unlabelled) look to {@code classifier}, against the test images of {@code data}. */
    static Map<String, Object> judge(DigitClassifier classifier, byte[] pixels, int count, String data, int batch, Configuration conf) {
        DigitBlock test = DigitSource.open(data, DigitSource.Split.TEST, conf).readAll(conf);
        SampleScore reference = SampleScore.of(classifier, test, batch);
        SampleScore samples = SampleScore.of(classifier, DigitBlock.contiguous(0, pixels, new byte[count]), batch);
        return samples.report(reference, "test images of " + data + " (" + test.size() + ")");
    }
}
