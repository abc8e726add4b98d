package latentdigits.bench;

import latentdigits.util.Json;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The study's three networks trained here and in PyTorch back to back on the same machine: this project's default
 * training job on the embedded Spark (local[2], its own JVM, as ./submit.sh runs it) against bench/pytorch/ on one
 * thread (PyTorch's fastest setting on two cores). Seconds an epoch are the median of the epochs after the first,
 * which pays for start-up, the JIT and the first touch of the data in both.
 */
final class ModelsVersusPyTorch {
    /** The three models: this project's job and flags, the PyTorch script, the speed target of issue 25. */
    record Model(String name, String mainClass, List<String> flags, String script, double target) {
    }

    static final List<Model> MODELS = List.of(
            new Model("MLP VAE", "latentdigits.jobs.TrainVaeJob", List.of(), "bench/pytorch/pytorch_mlp_vae.py", 0.6),
            new Model("GAN", "latentdigits.jobs.TrainGanJob", List.of(), "bench/pytorch/pytorch_gan.py", 0.8),
            new Model("CNN VAE", "latentdigits.jobs.TrainVaeJob", List.of("--arch", "cnn"), "bench/pytorch/pytorch_cnn_vae.py", 1.0));

    private ModelsVersusPyTorch() {
    }

    static List<Map<String, Object>> run(String data, String python, Map<String, Integer> epochs, Path scratch) throws Exception {
        boolean torch = !python.equals("none") && PyTorchReference.hasTorch(python);
        List<Map<String, Object>> results = new ArrayList<>();
        for (Model m : MODELS) {
            int n = epochs.get(m.name());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", m.name());
            r.put("epochs", n);
            r.put("target_ratio", m.target());
            r.put("this_project_s_per_epoch", ours(m, data, n, scratch.resolve(m.name().replace(' ', '-').toLowerCase())));
            if (torch) {
                double theirs = pytorch(python, m, data, n);
                r.put("pytorch_s_per_epoch", theirs);
                r.put("ratio", Math.round((Double) r.get("this_project_s_per_epoch") / theirs * 1000) / 1000.0);
            }
            System.err.println("bench: " + Json.line(r));
            results.add(r);
        }
        return results;
    }

    private static double ours(Model m, String data, int epochs, Path out) throws Exception {
        List<String> command = BenchJob.javaCommand(m.mainClass());
        command.addAll(List.of("--master", "local[2]", "--data", data, "--epochs", String.valueOf(epochs), "--out", out.toString()));
        command.addAll(m.flags());
        System.err.println("bench: training " + m.name() + " for " + epochs + " epochs (Spark local[2])");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) throw new IllegalStateException(m.mainClass() + " ended with exit code " + p.exitValue());
        List<Double> seconds = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl")))
            if (!line.isBlank()) seconds.add(((Number) Json.parse(line).get("seconds")).doubleValue());
        return steady(seconds);
    }

    private static double pytorch(String python, Model m, String data, int epochs) throws Exception {
        System.err.println("bench: training " + m.name() + " for " + epochs + " epochs (PyTorch, 1 thread)");
        Process p = new ProcessBuilder(python, m.script(), data, String.valueOf(epochs), "1").redirectErrorStream(true).start();
        List<Double> seconds = new ArrayList<>();
        Pattern epoch = Pattern.compile("^epoch \\d+ time ([0-9.]+)s");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                Matcher mt = epoch.matcher(line);
                if (mt.find()) seconds.add(Double.parseDouble(mt.group(1)));
            }
        }
        if (p.waitFor() != 0 || seconds.isEmpty()) throw new IllegalStateException(m.script() + " ended with exit code " + p.exitValue());
        return steady(seconds);
    }

    /** Median of the epochs after the first (all of them if there is only one). */
    static double steady(List<Double> seconds) {
        List<Double> after = seconds.size() > 1 ? seconds.subList(1, seconds.size()) : seconds;
        return Math.round(latentdigits.util.Numbers.median(after) * 1000) / 1000.0;
    }

    static String table(List<Map<String, Object>> results) {
        StringBuilder sb = new StringBuilder("\nTraining side by side, seconds an epoch (median after the first; this project: the default job on Spark local[2]; PyTorch: 1 thread)\n");
        sb.append(String.format("%-9s %7s %14s %9s %7s %8s%n", "model", "epochs", "this project", "PyTorch", "ratio", "target"));
        boolean torch = false;
        for (Map<String, Object> r : results) {
            torch |= r.containsKey("ratio");
            sb.append(String.format("%-9s %7s %14.2f %9s %7s %8s%n", r.get("model"), r.get("epochs"), r.get("this_project_s_per_epoch"),
                    r.containsKey("pytorch_s_per_epoch") ? String.format("%.2f", r.get("pytorch_s_per_epoch")) : "-",
                    r.containsKey("ratio") ? String.format("%.2f", r.get("ratio")) : "-", "<= " + r.get("target_ratio")));
        }
        if (!torch) sb.append("PyTorch references not run: python cannot import torch (").append(PyTorchReference.INSTALL).append(")\n");
        return sb.append("ratio < 1: this project trains faster\n").toString();
    }
}
