package latentdigits.bench;

import latentdigits.util.Json;
import latentdigits.util.Numbers;

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
 * thread (PyTorch's fastest setting on two cores). Seconds an epoch are the steady state: the median of the second
 * half of the epochs, in both. The first epochs pay for start-up and the first touch of the data in both, and here also
 * for the JIT compiler, which shares the two cores with the two workers for three or four epochs.
 * <p>
 * The whole command is measured too: the default 40-epoch MLP VAE job from launch to exit (JVM start, Spark, training,
 * the per-epoch scoring and figures, the model) against PyTorch's 40 epochs with its data loading and final scoring.
 */
final class ModelsVersusPyTorch {
    /** The three models: this project's job and flags, the PyTorch script, and the speed target against PyTorch. */
    record Model(String name, String mainClass, List<String> flags, String script, double target) {
    }

    static final List<Model> MODELS = List.of(
            new Model("MLP VAE", "latentdigits.jobs.TrainVaeJob", List.of(), "bench/pytorch/pytorch_mlp_vae.py", 0.6),
            new Model("GAN", "latentdigits.jobs.TrainGanJob", List.of(), "bench/pytorch/pytorch_gan.py", 0.8),
            new Model("CNN VAE", "latentdigits.jobs.TrainVaeJob", List.of("--arch", "cnn"), "bench/pytorch/pytorch_cnn_vae.py", 1.0));

    private ModelsVersusPyTorch() {
    }

    static List<Map<String, Object>> run(String data, String python, Map<String, Integer> epochs, Path scratch) throws Exception {
        boolean torch = PyTorchReference.hasTorch(python);
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
                r.put("ratio", Numbers.round((Double) r.get("this_project_s_per_epoch") / theirs, 3));
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

    /** Median of the second half of the epochs (from the second epoch on when there are fewer than four). */
    static double steady(List<Double> seconds) {
        int skip = firstSteadyEpoch(seconds.size()) - 1;
        return Numbers.round(Numbers.median(seconds.subList(skip, seconds.size())), 3);
    }

    /** The first epoch (1-based) of {@code epochs} that {@link #steady} takes the median from. */
    static int firstSteadyEpoch(int epochs) {
        return 1 + Math.min(epochs - 1, Math.max(1, epochs / 2));
    }

    /** The epochs of each of {@link #MODELS}, from {@code --model-epochs}' "MLP,GAN,CNN". */
    static Map<String, Integer> epochs(String spec) {
        String[] e = spec.split(",");
        if (e.length != MODELS.size())
            throw new IllegalArgumentException("--model-epochs: expected MLP,GAN,CNN epochs, found '" + spec + "'");
        Map<String, Integer> epochsOf = new LinkedHashMap<>();
        for (int i = 0; i < e.length; i++) epochsOf.put(MODELS.get(i).name(), Integer.parseInt(e[i].trim()));
        return epochsOf;
    }

    /** The default MLP VAE job against PyTorch's script, 40 epochs each, wall-clock seconds from launch to exit. */
    static Map<String, Object> wholeCommand(String data, String python, Path scratch) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", "MLP VAE, default 40 epochs, launch to exit");
        List<String> command = BenchJob.javaCommand(MODELS.get(0).mainClass());
        command.addAll(List.of("--master", "local[2]", "--data", data, "--out", scratch.resolve("whole-command").toString()));
        System.err.println("bench: the default MLP VAE job, start to finish (Spark local[2])");
        r.put("this_project_s", wallClock(new ProcessBuilder(command)));
        if (PyTorchReference.hasTorch(python)) {
            System.err.println("bench: the MLP VAE's 40 epochs in PyTorch, start to finish (1 thread)");
            double theirs = wallClock(new ProcessBuilder(python, MODELS.get(0).script(), data, "40", "1"));
            r.put("pytorch_s", theirs);
            r.put("ratio", Numbers.round((Double) r.get("this_project_s") / theirs, 3));
        }
        System.err.println("bench: " + Json.line(r));
        return r;
    }

    private static double wallClock(ProcessBuilder builder) throws Exception {
        long start = System.nanoTime();
        Process p = builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", builder.command()) + " ended with exit code " + p.exitValue());
        return Numbers.round((System.nanoTime() - start) / 1e9, 2);
    }

    static String table(List<Map<String, Object>> results, Map<String, Object> whole) {
        StringBuilder sb = new StringBuilder("\nTraining side by side, seconds an epoch (median of the second half of the epochs; this project: the default job on Spark local[2]; PyTorch: 1 thread)\n");
        sb.append(String.format("%-9s %7s %14s %9s %7s %8s%n", "model", "epochs", "this project", "PyTorch", "ratio", "target"));
        boolean torch = false;
        for (Map<String, Object> r : results) {
            torch |= r.containsKey("ratio");
            sb.append(String.format("%-9s %7s %14.2f %9s %7s %8s%n", r.get("model"), r.get("epochs"), r.get("this_project_s_per_epoch"),
                    r.containsKey("pytorch_s_per_epoch") ? String.format("%.2f", r.get("pytorch_s_per_epoch")) : "-",
                    r.containsKey("ratio") ? String.format("%.2f", r.get("ratio")) : "-", "<= " + r.get("target_ratio")));
        }
        if (whole != null) {
            torch |= whole.containsKey("ratio");
            sb.append(String.format("%-40s %14.1f s %7s %7s %8s%n", whole.get("model"), whole.get("this_project_s"),
                    whole.containsKey("pytorch_s") ? String.format("%.1f s", whole.get("pytorch_s")) : "-",
                    whole.containsKey("ratio") ? String.format("%.2f", whole.get("ratio")) : "-", "<= 1.0"));
        }
        if (!torch) sb.append("PyTorch references not run: python cannot import torch (").append(PyTorchReference.INSTALL).append(")\n");
        return sb.append("ratio < 1: this project trains faster\n").toString();
    }
}
