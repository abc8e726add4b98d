package latentdigits.jobs;

import latentdigits.data.MnistFetcher;
import latentdigits.model.ModelFiles;
import latentdigits.util.HadoopFs;
import latentdigits.util.Json;
import latentdigits.util.Numbers;
import latentdigits.util.OutputLock;
import latentdigits.util.QualityGateFailure;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Options.Rename;
import org.apache.hadoop.fs.Path;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Publishes a finished training run to a model set, behind a quality gate: the VAE's final validation NELBO, or the
 * Fréchet distance of the generator's samples to the test images (as the project's classifier sees them). A run that
 * fails the gate ends with exit code 4 and leaves the set as it was; one that passes is copied to MODELS/VERSION and
 * MODELS/latest is then switched to it in one atomic rename, so readers ({@code --model MODELS/latest}) see the old
 * version or the new one, never a half-copied one.
 */
public final class PublishJob {
    static final Options OPTIONS = new Options("publish",
            "Checks a finished run against a quality gate, copies it to MODELS/VERSION and points MODELS/latest at it.")
            .value("run", "DIR", "a finished run directory of train-vae, train-gan or train-classifier")
            .value("to", "MODELS", "the model set (any Hadoop path): MODELS/VERSION/ and the MODELS/latest pointer")
            .value("version", "V", "the version's name (default: the run directory's name)")
            .value("max-nelbo", "X", "gate: the run's final validation NELBO (VAEs) must be at most X")
            .value("max-fid", "Y", "gate: the Fréchet distance of --samples generated images to the test images must be at most Y (needs --classifier)")
            .value("classifier", "FILE", "the judge for --max-fid: a model.zip of train-classifier")
            .value("data", "DIR", "MNIST, whose test images are --max-fid's reference")
            .value("samples", "N", "images generated for --max-fid")
            .value("seed", "S", "seed of those images' latent draws")
            .toggle("overwrite", "replace MODELS/VERSION if it holds another model");

    private PublishJob() {
    }

    public static void main(String[] args) {
        JobMain.main(OPTIONS, args, a -> {
            publish(a, new Configuration());
            return 0;
        });
    }

    /** Returns what publish.json records; throws {@link QualityGateFailure} (exit 4) when a gate is not met. */
    public static Map<String, Object> publish(Options.Args a, Configuration conf) throws Exception {
        Path run = new Path(a.require("run"));
        FileSystem runFs = HadoopFs.of(run, conf);
        if (!runFs.exists(new Path(run, "model.zip")) || !runFs.exists(new Path(run, "config.json")))
            throw new UserError("--run " + run + ": expected a finished run directory (model.zip and config.json), found none there");
        String version = a.getOr("version", run.getName());
        if (!version.matches("[A-Za-z0-9._-]+")) throw new UserError("--version: expected letters, digits, '.', '_' or '-', found '" + version + "'");
        Path models = new Path(a.require("to"));
        FileSystem fs = HadoopFs.forOutput(models, "--to", conf);
        RunOutput.refuseOverlap("--to", models.toString(), List.of(run.toString()), conf);
        HadoopFs.requireWritable(fs, models, "--to", models);
        Path latest = new Path(models, ModelFiles.LATEST), target = new Path(models, version);

        byte[] model = HadoopFs.readIfExists(runFs, new Path(run, "model.zip"));
        Map<String, Object> metadata = ModelFiles.fromBytes(model, run + "/model.zip").metadata();
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("version", version);
        record.put("run", run.toString());
        record.put("kind", metadata.get("kind"));
        record.put("model_sha256", MnistFetcher.sha256(new ByteArrayInputStream(model)));
        record.put("gates", gates(a, run, runFs, model, conf));

        try (OutputLock lock = OutputLock.acquire(fs, latest, "--to")) {
            String previous = fs.exists(latest) ? new String(HadoopFs.readIfExists(fs, latest), StandardCharsets.UTF_8).trim() : null;
            if (fs.exists(target)) {
                byte[] there = HadoopFs.readIfExists(fs, new Path(target, "model.zip"));
                boolean same = there != null && MnistFetcher.sha256(new ByteArrayInputStream(there)).equals(record.get("model_sha256"));
                if (!same && !a.flag("overwrite"))
                    throw new UserError("--version " + version + ": " + target + " holds another model; choose another version, or pass --overwrite");
                if (same) System.out.println("publish: " + target + " holds this run's model already");
                else replaceVersion(fs, run, runFs, target, record, conf);
            } else {
                replaceVersion(fs, run, runFs, target, record, conf);
            }
            point(fs, latest, version, conf);
            record.put("previous_latest", previous);
            System.out.println("publish: " + latest + " -> " + version + (previous != null && !previous.equals(version) ? " (was " + previous + ")" : ""));
            System.out.println(Json.pretty(record));
            return record;
        }
    }

    /** Every gate the flags ask for, each with its measured value; the first one missed ends the job (exit 4). */
    private static Map<String, Object> gates(Options.Args a, Path run, FileSystem runFs, byte[] model, Configuration conf) throws Exception {
        Map<String, Object> gates = new LinkedHashMap<>();
        if (a.get("max-nelbo") != null && !a.get("max-nelbo").isBlank()) {
            double max = a.number("max-nelbo");
            byte[] metrics = HadoopFs.readIfExists(runFs, new Path(run, "metrics.jsonl"));
            List<String> rows = metrics == null ? List.of() : new String(metrics, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
            Map<String, Object> last = rows.isEmpty() ? Map.of() : Json.parse(rows.get(rows.size() - 1));
            if (!last.containsKey("val_xent") || !last.containsKey("val_kl"))
                throw new UserError("--max-nelbo: " + run + " is not a VAE run (its metrics.jsonl has no val_xent and val_kl)");
            double nelbo = Numbers.round(((Number) last.get("val_xent")).doubleValue() + ((Number) last.get("val_kl")).doubleValue(), 4);
            gates.put("validation_nelbo", Map.of("value", nelbo, "max", max, "epoch", last.get("epoch")));
            if (!(nelbo <= max))
                throw new QualityGateFailure(run + ": final validation NELBO " + nelbo + " (epoch " + last.get("epoch") + ") is above --max-nelbo "
                        + max + "; nothing was published");
        }
        if (a.get("max-fid") != null && !a.get("max-fid").isBlank()) {
            double max = a.number("max-fid");
            String classifier = a.getOr("classifier", null), data = a.getOr("data", null);
            if (classifier == null || data == null) throw new UserError("--max-fid: needs --classifier FILE and --data DIR to score the samples");
            int n = a.integer("samples", 2);
            SampleJob.Generator generator = SampleJob.Generator.of(ModelFiles.fromBytes(model, run + "/model.zip"), run + "/model.zip");
            byte[] pixels = generator.generate(n, a.longValue("seed", 0), 1000);
            Map<String, Object> score = ScoreJob.judge(ScoreJob.classifier(classifier, conf), pixels, n, data, 1000, conf);
            double fid = ((Number) score.get("frechet_distance")).doubleValue();
            Map<String, Object> gate = new LinkedHashMap<>(Map.of("value", fid, "max", max, "samples", n, "classifier", classifier));
            gate.put("class_fractions", score.get("class_fractions"));
            gates.put("frechet_distance", gate);
            if (!(fid <= max))
                throw new QualityGateFailure(run + ": Fréchet distance " + fid + " of " + n + " samples is above --max-fid " + max + "; nothing was published");
        }
        return gates;
    }

    /** Copies the run to MODELS/.VERSION.partial with publish.json, then renames it into place. */
    private static void replaceVersion(FileSystem fs, Path run, FileSystem runFs, Path target, Map<String, Object> record, Configuration conf)
            throws IOException {
        Path partial = new Path(target.getParent(), "." + target.getName() + ".partial");
        if (fs.exists(partial)) fs.delete(partial, true);
        if (!FileUtil.copy(runFs, run, fs, partial, false, conf)) throw new IOException("cannot copy " + run + " to " + partial);
        Map<String, Object> published = new LinkedHashMap<>(record);
        published.put("published_at", Instant.now().toString());
        try (var out = fs.create(new Path(partial, "publish.json"), true)) {
            out.write(Json.pretty(published).getBytes(StandardCharsets.UTF_8));
        }
        Path old = new Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID().toString().substring(0, 8));
        if (fs.exists(target) && !fs.rename(target, old)) throw new IOException("cannot move " + target + " aside");
        if (!fs.rename(partial, target)) throw new IOException("cannot rename " + partial + " to " + target);
        if (fs.exists(old)) fs.delete(old, true);
    }

    /** Points MODELS/latest at {@code version}: written beside it, then renamed over it in one step. */
    private static void point(FileSystem fs, Path latest, String version, Configuration conf) throws IOException {
        Path tmp = new Path(latest.getParent(), ".latest.tmp-" + UUID.randomUUID().toString().substring(0, 8));
        try (var out = fs.create(tmp, true)) {
            out.write((version + "\n").getBytes(StandardCharsets.UTF_8));
        }
        FileContext.getFileContext(fs.getUri(), conf).rename(tmp, latest, Rename.OVERWRITE);
    }
}
