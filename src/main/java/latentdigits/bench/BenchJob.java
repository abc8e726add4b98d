package latentdigits.bench;

import latentdigits.util.Numbers;
import latentdigits.jobs.JobMain;
import latentdigits.jobs.Options;
import latentdigits.util.HadoopFs;
import latentdigits.util.Json;
import org.apache.hadoop.conf.Configuration;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ./submit.sh bench: how fast training and encoding are, measured and printed, never asserted. Each case runs in its
 * own JVM (same flags and classpath as this one) so start-up, timings and peak memory are its own:
 * VAE training in one JVM without Spark, on Spark local[1] and on Spark local[2]; encoding of 10k, 100k and 1M images.
 * On a shared virtual machine an epoch's time drifts by 10-20 % from one half hour to the next, so the one-JVM and
 * local[2] cases run as alternating pairs and the speed-up is reported pair by pair, each against its neighbour.
 */
public final class BenchJob {
    static final Options OPTIONS = new Options("bench",
            "Measures training and encoding speed: the MLP VAE in one JVM against Spark local[2] (averaging), the encode job up to 10M images (encode), the study's three networks (models) and the default MLP VAE command (command) side by side with PyTorch; prints tables and writes a JSON file.")
            .value("data", "DIR", "folder with the MNIST IDX files")
            .value("out", "FILE", "where the JSON results go")
            .value("warmup", "N", "epochs run before measuring (JIT, native libraries, caches)")
            .value("epochs", "N", "measured epochs per training case (the median is reported)")
            .value("pairs", "N", "one-JVM / local[2] pairs, run alternately (the local[2] / one-JVM ratio is reported per pair)")
            .value("train-limit", "N", "training images (0 = all 60,000)")
            .value("averaging-frequency", "F", "minibatches between averaging rounds in the Spark cases (default: train-vae's)")
            .value("encode-sizes", "N,N,...", "how many images to encode (the test set tiled as often as needed)")
            .value("encode-batch", "B", "images per encoder call")
            .value("pytorch", "PYTHON", "python with torch for the PyTorch references (bench/pytorch/); none = skip them")
            .value("parts", "LIST", "what to measure, comma-separated: averaging (one JVM against Spark), encode, models (the three networks against PyTorch), command (the default MLP VAE job start to finish against PyTorch's)")
            .value("model-epochs", "MLP,GAN,CNN", "epochs each network trains in the models part")
            .toggle("quick", "a few minutes: 2 measured epochs on 20,000 images, one pair");

    private BenchJob() {
    }

    public static void main(String[] args) {
        JobMain.main(OPTIONS, args, a -> {
            boolean quick = a.flag("quick");
            String data = a.require("data");
            String warmup = a.require("warmup"), epochs = quick ? "2" : a.require("epochs");
            String limit = quick ? "20000" : a.require("train-limit");
            List<Map<String, Object>> results = new ArrayList<>();
            List<String> flags = new ArrayList<>(List.of("--train-limit", limit, "--validation", "1000"));
            if (a.get("averaging-frequency") != null) flags.addAll(List.of("--averaging-frequency", a.get("averaging-frequency")));
            String[] trainFlags = flags.toArray(String[]::new);
            int pairs = quick ? 1 : a.integer("pairs", 1);
            List<Double> ratios = new ArrayList<>();
            List<String> parts = List.of(a.require("parts").split(","));
            for (String part : parts)
                if (!List.of("averaging", "encode", "models", "command").contains(part))
                    throw new IllegalArgumentException("--parts: expected averaging, encode, models or command, found '" + part + "'");
            for (int pair = 1; pair <= pairs && parts.contains("averaging"); pair++) {
                Map<String, Object> oneJvm = run(concat(new String[]{"train", "jvm", "local[1]", warmup, epochs, data}, trainFlags));
                oneJvm.put("pair", pair);
                results.add(oneJvm);
                if (pair == 1) results.add(run(concat(new String[]{"train", "spark", "local[1]", warmup, epochs, data}, trainFlags)));
                Map<String, Object> twoCores = run(concat(new String[]{"train", "spark", "local[2]", warmup, epochs, data}, trainFlags));
                twoCores.put("pair", pair);
                results.add(twoCores);
                ratios.add(num(twoCores, "s_per_epoch") / num(oneJvm, "s_per_epoch"));
            }
            List<Map<String, Object>> torch = List.of(), models = List.of();
            Map<String, Object> wholeCommand = null;
            if (parts.contains("encode")) {
                results.add(run(new String[]{"encode", "local[2]", data, a.require("encode-batch"), a.require("encode-sizes")}));
                torch = PyTorchReference.encode(a.require("pytorch"), a.require("encode-sizes"), 2, a.integer("encode-batch", 1));
            }
            if (parts.contains("models")) {
                Map<String, Integer> epochsOf = ModelsVersusPyTorch.epochs(a.require("model-epochs"));
                Path scratch = Files.createTempDirectory("bench-models");
                try {
                    models = ModelsVersusPyTorch.run(data, a.require("pytorch"), epochsOf, scratch);
                } finally {
                    org.apache.commons.io.FileUtils.deleteDirectory(scratch.toFile());
                }
            }
            if (parts.contains("command")) {
                Path scratch = Files.createTempDirectory("bench-command");
                try {
                    wholeCommand = ModelsVersusPyTorch.wholeCommand(data, a.require("pytorch"), scratch);
                } finally {
                    org.apache.commons.io.FileUtils.deleteDirectory(scratch.toFile());
                }
            }

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("date", Instant.now().toString());
            report.put("machine", machine());
            report.put("quick", quick);
            Map<String, Object> speedUp = new LinkedHashMap<>();
            speedUp.put("per_pair", ratios.stream().map(x -> Numbers.round(x, 3)).toList());
            if (!ratios.isEmpty()) speedUp.put("median", Numbers.round(Numbers.median(ratios), 3));
            report.put("local2_over_one_jvm", speedUp);
            report.put("results", results);
            report.put("pytorch_encode", torch);
            report.put("models_versus_pytorch", models);
            if (wholeCommand != null) report.put("whole_command_versus_pytorch", wholeCommand);
            String out = a.require("out");
            HadoopFs.writeAtomically(out, new Configuration(), s -> s.write(Json.pretty(report).getBytes(StandardCharsets.UTF_8)));
            System.out.println(table(results));
            if (parts.contains("encode")) System.out.println(PyTorchReference.sideBySide(results, torch));
            if (parts.contains("models") || parts.contains("command")) System.out.println(ModelsVersusPyTorch.table(models, wholeCommand));
            if (!ratios.isEmpty()) System.out.printf("Spark local[2] / one JVM, seconds per epoch, pair by pair: %s; median %.2f%n",
                    String.join(", ", ratios.stream().map(x -> String.format("%.2f", x)).toList()), Numbers.median(ratios));
            System.out.println("bench: wrote " + out);
            return 0;
        });
    }

    /** A child JVM with this JVM's flags and classpath, running {@code mainClass}: each measurement in a JVM of its own. */
    static List<String> javaCommand(String mainClass) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        return command;
    }

    /** Starts one case in a child JVM with this JVM's flags and classpath; returns its BENCH line. */
    static Map<String, Object> run(String[] caseArgs) throws Exception {
        List<String> command = javaCommand(BenchCase.class.getName());
        command.addAll(List.of(caseArgs));
        System.err.println("bench: running " + String.join(" ", caseArgs));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<String, Object> result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(BenchCase.PREFIX)) result = Json.parse(line.substring(BenchCase.PREFIX.length()));
            }
        }
        int code = p.waitFor();
        if (code != 0 || result == null)
            throw new IllegalStateException("benchmark case " + String.join(" ", caseArgs) + " failed with exit code " + code);
        System.err.println("bench: " + Json.line(result));
        return result;
    }

    static String table(List<Map<String, Object>> results) {
        StringBuilder sb = new StringBuilder();
        boolean training = results.stream().anyMatch(r -> r.containsKey("s_per_epoch"));
        if (training) sb.append("\nVAE training (median epoch after warm-up)\n");
        if (training) sb.append(String.format("%-50s %8s %10s %9s %12s %9s %9s %9s%n", "case", "s/epoch", "images/s", "jobs/ep",
                "outside fit", "start-up", "data prep", "peak RSS"));
        for (Map<String, Object> r : results) {
            if (!r.containsKey("s_per_epoch")) continue;
            String name = caseName(r);
            sb.append(String.format("%-50s %8.2f %10.0f %9s %10.2f s %7.1f s %7.1f s %6.0f MB%n", name,
                    num(r, "s_per_epoch"), num(r, "images_per_s"), r.get("spark_jobs_per_epoch"), num(r, "outside_fit_s_per_epoch"),
                    num(r, "startup_s"), num(r, "data_prep_s"), num(r, "peak_rss_mb")));
        }
        if (training) sb.append("\nCPU seconds per measured epoch, by thread (the compiler, collector and native-release threads run on the\n")
                .append("idle second core in one JVM, but take their time from the training tasks in local[2])\n");
        if (training) sb.append(String.format("%-50s %9s %9s %9s %9s %9s %12s%n", "case", "training", "JIT", "GC", "native", "other", "cores busy"));
        for (Map<String, Object> r : results) {
            @SuppressWarnings("unchecked") Map<String, Object> cpu = (Map<String, Object>) r.get("cpu_s_per_epoch_by_thread");
            if (cpu == null) continue;
            String name = caseName(r);
            sb.append(String.format("%-50s %9.3f %9.3f %9.3f %9.3f %9.3f %12.2f%n", name, num(cpu, "training"), num(cpu, "jit_compiler"),
                    num(cpu, "garbage_collector"), num(cpu, "native_release"), num(cpu, "other"), num(r, "cores_busy")));
        }
        for (Map<String, Object> r : results) {
            if (!r.containsKey("runs")) continue;
            sb.append("\n").append(r.get("case")).append(", batch ").append(r.get("batch"))
                    .append(String.format(", peak RSS %.0f MB%n", num(r, "peak_rss_mb")));
            sb.append(String.format("%12s %9s %12s %7s %12s %26s%n", "images", "seconds", "images/s", "tasks", "Parquet", "driver heap after GC, peak"));
            @SuppressWarnings("unchecked") List<Map<String, Object>> runs = (List<Map<String, Object>>) r.get("runs");
            for (Map<String, Object> run : runs)
                sb.append(String.format("%,12d %9.2f %,12.0f %7s %9.0f MB %23.0f MB%n", ((Number) run.get("images")).longValue(),
                        num(run, "seconds"), num(run, "images_per_s"), run.get("tasks"), num(run, "parquet_mb"), num(run, "driver_heap_peak_after_gc_mb")));
        }
        return sb.toString();
    }

    /** A training case as the tables name it: the case, and its pair when the cases ran in pairs. */
    private static String caseName(Map<String, Object> r) {
        return r.get("case") + (r.containsKey("pair") ? ", pair " + r.get("pair") : "");
    }

    static Map<String, Object> machine() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        for (String line : Files.readAllLines(Path.of("/proc/meminfo")))
            if (line.startsWith("MemTotal:")) m.put("memory_gb", Math.round(Long.parseLong(line.replaceAll("\\D", "")) / 1048576.0 * 10) / 10.0);
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
            if (line.startsWith("model name")) {
                m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                break;
            }
        m.put("java", System.getProperty("java.version"));
        m.put("omp_num_threads", System.getenv().getOrDefault("OMP_NUM_THREADS", "(unset)"));
        return m;
    }

    private static double num(Map<String, Object> r, String key) {
        return ((Number) r.get(key)).doubleValue();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
