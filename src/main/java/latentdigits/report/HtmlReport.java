package latentdigits.report;

import latentdigits.figures.GanFigures;
import latentdigits.figures.VaeFigures;
import latentdigits.util.Json;
import latentdigits.util.RunDirectory;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One self-contained HTML page for one or more runs: the study's figures each run has, its metrics and provenance,
 * runs of a kind side by side (MLP against CNN VAE, this week's run against the published one). Images are embedded
 * as data: URLs and the page's Content-Security-Policy forbids every outside request. A small script records on
 * {@code <body>} how many images loaded and how many errors occurred, which the tests read back from headless Chromium.
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /** A VAE run with the encode runs of its model; an encode run whose VAE run is not given stands alone. */
    record VaeColumn(RunFiles training, List<RunFiles> encodings) {
        String arch() {
            return training != null ? training.flag("arch") : "";
        }

        String name() {
            return training != null ? training.name() : encodings.get(0).name();
        }
    }

    /** The page; {@code refreshSeconds} > 0 makes it reload itself (the live page of a run in progress). */
    public static String page(String title, List<RunFiles> runs, int refreshSeconds) throws IOException {
        List<VaeColumn> vaes = new ArrayList<>();
        for (RunFiles r : runs) if (r.job().equals("train-vae")) vaes.add(new VaeColumn(r, new ArrayList<>()));
        for (RunFiles r : runs) {
            if (!r.job().equals("encode")) continue;
            VaeColumn owner = vaes.stream().filter(v -> v.training() != null && sameRun(v.training().path(), r.flag("model"))).findFirst().orElse(null);
            if (owner != null) owner.encodings().add(r);
            else vaes.add(new VaeColumn(null, new ArrayList<>(List.of(r))));
        }
        String absent = refreshSeconds > 0 ? "drawn when the training ends" : "not in this run"; // a live page's run is training
        List<RunFiles> gans = runs.stream().filter(r -> r.job().equals("train-gan")).toList();
        List<RunFiles> classifiers = runs.stream().filter(r -> r.job().equals("train-classifier")).toList();

        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n");
        if (refreshSeconds > 0) h.append("<meta http-equiv=\"refresh\" content=\"").append(refreshSeconds).append("\">\n");
        h.append("<title>").append(esc(title)).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}")
                .append("td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}th{background:#f3f3f3}")
                .append("img{max-width:100%;height:auto;display:block;margin:.2em 0}td.fig{width:").append(100 / Math.max(1, maxColumns(vaes, gans))).append("%}")
                .append(".missing{color:#999;font-style:italic}pre{font-size:11px;white-space:pre-wrap;max-width:110em}caption{text-align:left;font-weight:bold}")
                .append("</style>\n<script>").append(SELF_CHECK).append("</script>\n</head><body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<p>Runs: ");
        for (int i = 0; i < runs.size(); i++) h.append(i > 0 ? ", " : "").append("<code>").append(esc(runs.get(i).path())).append("</code>");
        h.append(". Figures as numbered in the study (J. Philion, <i>HW4: Latent Variables</i>, 2018).</p>\n");

        if (!vaes.isEmpty()) {
            h.append("<h2>Variational autoencoders</h2>\n<table><tr><th></th>");
            for (VaeColumn v : vaes) h.append("<th>").append(esc(v.name())).append(v.arch().isEmpty() ? "" : " (" + esc(v.arch().toUpperCase()) + ")").append("</th>");
            h.append("</tr>\n");
            figureRow(h, "Training and validation loss; decoded z ~ N(0, I), newest epoch", vaes, v -> cell(absent, v.training(), 1, 8, v.arch(),
                    loss(v.training()), newestSamples(v.training())));
            figureRow(h, "Encoder means of the encoded set, by label", vaes, v -> cell(absent, v.encodings().isEmpty() ? null : v.encodings().get(0), 2, 9, v.arch(),
                    v.encodings().isEmpty() ? null : v.encodings().get(0).figures().get("scatter.png")));
            figureRow(h, "Interpolation between two test images", vaes, v -> cell(absent, v.training(), 3, 10, v.arch(), figure(v.training(), "figures/interpolation.png")));
            figureRow(h, "Decoder on a 15 x 15 grid of z in [-2, 2]", vaes, v -> cell(absent, v.training(), 4, 11, v.arch(), figure(v.training(), "figures/grid.png")));
            h.append("</table>\n<table><caption>Metrics</caption><tr><th></th>");
            for (VaeColumn v : vaes) h.append("<th>").append(esc(v.name())).append("</th>");
            h.append("</tr>\n");
            Map<String, Function<VaeColumn, String>> rows = new LinkedHashMap<>();
            rows.put("epochs", v -> v.training() == null ? "" : String.valueOf(v.training().metrics().size()));
            rows.put("final train NELBO (XENT + KL), nats", v -> last(v.training(), "train_xent", "train_kl"));
            rows.put("final validation NELBO (XENT + KL), nats", v -> last(v.training(), "val_xent", "val_kl"));
            rows.put("median seconds an epoch", v -> v.training() == null ? "" : median(v.training().metrics(), "seconds"));
            rows.put("encoded images", v -> fromEncoding(v, "n"));
            rows.put("test NELBO, nats", v -> fromEncoding(v, "test_nelbo", "train_nelbo", "nelbo"));
            rows.put("importance-weighted NLL (k, images), nats", v -> {
                String nll = fromEncoding(v, "test_iwae_nll", "train_iwae_nll", "iwae_nll");
                String same = fromEncoding(v, "iwae_images_nelbo");
                return nll.isEmpty() ? "" : nll + " (k = " + fromEncoding(v, "iwae_k") + ", " + fromEncoding(v, "iwae_images")
                        + " images" + (same.isEmpty() ? "" : "; their NELBO " + same) + ")";
            });
            rows.put("kNN-5 accuracy of the latent means", v -> fromEncoding(v, "knn5_accuracy"));
            rows.forEach((label, value) -> {
                h.append("<tr><th>").append(esc(label)).append("</th>");
                for (VaeColumn v : vaes) h.append("<td>").append(esc(value.apply(v))).append("</td>");
                h.append("</tr>\n");
            });
            h.append("</table>\n");
        }
        if (!gans.isEmpty()) {
            h.append("<h2>Generative adversarial network</h2>\n<table><tr><th></th>");
            for (RunFiles g : gans) h.append("<th>").append(esc(g.name())).append("</th>");
            h.append("</tr>\n");
            figureRow(h, "Discriminator and generator loss; G's samples, newest epoch", gans, g -> cell(absent, g, 5, 5, "mlp", loss(g), newestSamples(g)));
            figureRow(h, "G on 36 random z", gans, g -> cell(absent, g, 6, 6, "mlp", figure(g, "figures/samples.png")));
            figureRow(h, "G along a line between two random z", gans, g -> cell(absent, g, 7, 7, "mlp", figure(g, "figures/interpolation.png")));
            h.append("<tr><th>epochs; final D / G loss; median seconds an epoch</th>");
            for (RunFiles g : gans) h.append("<td>").append(g.metrics().size()).append("; ").append(esc(last(g, "d_loss"))).append(" / ")
                    .append(esc(last(g, "g_loss"))).append("; ").append(esc(median(g.metrics(), "seconds"))).append("</td>");
            h.append("</tr>\n</table>\n");
        }
        if (!classifiers.isEmpty()) {
            h.append("<h2>The judge: digit classifier</h2>\n<table><tr><th></th>");
            for (RunFiles c : classifiers) h.append("<th>").append(esc(c.name())).append("</th>");
            h.append("</tr>\n<tr><th>test accuracy</th>");
            for (RunFiles c : classifiers) h.append("<td>").append(esc(c.summary() == null ? "" : String.valueOf(c.summary().get("test_accuracy")))).append("</td>");
            h.append("</tr>\n</table>\n");
        }
        h.append("<h2>Provenance</h2>\n");
        for (RunFiles r : runs)
            h.append("<details><summary>").append(esc(r.name())).append(": ").append(esc(r.job())).append(", <code>").append(esc(r.path()))
                    .append("</code></summary><pre>").append(esc(Json.pretty(r.config()))).append("</pre></details>\n");
        h.append("</body></html>\n");
        return h.toString();
    }

    /** Runs the page's script records its checks on: images loaded, errors (a missing image, a refused request). */
    static final String SELF_CHECK = "(function(){var errors=0;"
            + "window.addEventListener('error',function(){errors++;if(document.body)document.body.dataset.errors=errors;},true);"
            + "document.addEventListener('securitypolicyviolation',function(){errors++;},true);"
            + "window.addEventListener('load',function(){var imgs=document.images,ok=0;"
            + "for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0)ok++;}"
            + "var b=document.body.dataset;b.images=imgs.length;b.imagesLoaded=ok;b.errors=errors;b.checked='yes';});})();";

    private static <T> void figureRow(StringBuilder h, String label, List<T> columns, Function<T, String> cell) {
        h.append("<tr><th>").append(esc(label)).append("</th>");
        for (T c : columns) h.append("<td class=\"fig\">").append(cell.apply(c)).append("</td>");
        h.append("</tr>\n");
    }

    /** A figure cell: its number in the study (MLP or CNN VAE's), then the images, or {@code absent} when the run has none. */
    private static String cell(String absent, RunFiles run, int mlpFigure, int cnnFigure, String arch, byte[]... images) {
        String number = arch.equals("cnn") ? "Figure " + cnnFigure : arch.equals("mlp") ? "Figure " + mlpFigure : "Figure " + mlpFigure + " / " + cnnFigure;
        StringBuilder c = new StringBuilder("<b>").append(number).append("</b>");
        int shown = 0;
        for (byte[] png : images) {
            if (png == null) continue;
            c.append("<img alt=\"").append(number).append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png)).append("\">");
            shown++;
        }
        if (shown == 0) c.append("<p class=\"missing\">").append(run == null ? "no such run given" : absent).append("</p>");
        return c.toString();
    }

    private static byte[] figure(RunFiles run, String name) {
        return run == null ? null : run.figures().get(name);
    }

    /** loss.png, or for a run still training the same chart drawn from its metrics so far. */
    private static byte[] loss(RunFiles run) {
        if (run == null) return null;
        byte[] png = run.figures().get("figures/loss.png");
        if (png != null || run.metrics().isEmpty()) return png;
        try {
            return RunDirectory.png(run.job().equals("train-gan") ? GanFigures.loss(run.metrics(), "GAN: discriminator and generator loss (so far)")
                    : VaeFigures.loss(run.metrics(), run.flag("arch").toUpperCase() + " VAE (so far)"));
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] newestSamples(RunFiles run) {
        if (run == null) return null;
        return run.figures().entrySet().stream().filter(e -> e.getKey().startsWith("figures/samples-epoch-")).map(Map.Entry::getValue).findFirst().orElse(null);
    }

    private static String last(RunFiles run, String... keys) {
        if (run == null || run.metrics().isEmpty()) return "";
        Map<String, Object> row = run.metrics().get(run.metrics().size() - 1);
        double sum = 0;
        for (String k : keys) {
            if (!(row.get(k) instanceof Number n)) return "";
            sum += n.doubleValue();
        }
        if (keys.length == 1) return String.format("%.4f", sum);
        return String.format("%.2f (%.2f + %.2f)", sum, ((Number) row.get(keys[0])).doubleValue(), ((Number) row.get(keys[1])).doubleValue());
    }

    private static String median(List<Map<String, Object>> rows, String key) {
        List<Double> v = rows.stream().filter(r -> r.get(key) instanceof Number).map(r -> ((Number) r.get(key)).doubleValue()).toList();
        return v.isEmpty() ? "" : String.format("%.2f", latentdigits.util.Numbers.median(v));
    }

    private static String fromEncoding(VaeColumn v, String... keys) {
        for (RunFiles e : v.encodings())
            for (String k : keys) if (e.summary() != null && e.summary().get(k) != null) return String.valueOf(e.summary().get(k));
        return "";
    }

    /** Whether --model (a model.zip, its run directory) names this run directory. */
    static boolean sameRun(String runPath, String model) {
        if (model == null || model.isBlank()) return false;
        String m = model.replaceFirst("/model\\.zip$", "");
        return normal(runPath).equals(normal(m));
    }

    private static String normal(String path) {
        String p = path.replaceFirst("^file:", "").replaceAll("/+$", "");
        return p.contains("://") ? p : Paths.get(p).toAbsolutePath().normalize().toString();
    }

    private static int maxColumns(List<VaeColumn> vaes, List<RunFiles> gans) {
        return Math.max(1, Math.max(vaes.size(), gans.size()));
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
