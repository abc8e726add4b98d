package latentdigits.bench;

import latentdigits.util.Json;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The PyTorch references in bench/pytorch/, run by the benchmark on the same machine in the same hour, so that the
 * tables show ratios measured back to back. When python cannot import torch the tables say how to install it.
 */
final class PyTorchReference {
    static final String ENCODE_SCRIPT = "bench/pytorch/pytorch_encode.py";
    static final String INSTALL = "Debian/Ubuntu: sudo apt-get install python3-torch; then --pytorch /usr/bin/python3";

    private PyTorchReference() {
    }

    /** The encoder's inference in PyTorch, one JSON result per size; empty when python or torch is missing. */
    static List<Map<String, Object>> encode(String python, String sizes, int threads, int batch) throws Exception {
        List<Map<String, Object>> results = new ArrayList<>();
        if (!Files.isRegularFile(Path.of(ENCODE_SCRIPT)) || !hasTorch(python)) return results;
        System.err.println("bench: running " + ENCODE_SCRIPT + " --sizes " + sizes + " --threads " + threads);
        Process p = new ProcessBuilder(python, ENCODE_SCRIPT, "--sizes", sizes, "--threads", String.valueOf(threads),
                "--batch", String.valueOf(batch)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) if (line.startsWith("{")) results.add(Json.parse(line));
        }
        if (p.waitFor() != 0) throw new IllegalStateException(ENCODE_SCRIPT + " failed with exit code " + p.exitValue());
        return results;
    }

    /** Whether the references can run: a python was given (not {@code none}) and it imports torch. */
    static boolean hasTorch(String python) {
        if (python.equals("none")) return false;
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** This project's encode runs next to PyTorch's at the same sizes. */
    static String sideBySide(List<Map<String, Object>> results, List<Map<String, Object>> torch) {
        StringBuilder sb = new StringBuilder("\nEncoding side by side, images/s on the same cores (this project: Spark local[2], Parquet written; PyTorch: 2 threads, nothing written)\n");
        if (torch.isEmpty()) return sb.append("PyTorch reference not run: python cannot import torch (").append(INSTALL).append(")\n").toString();
        sb.append(String.format("%12s %14s %14s %8s%n", "images", "this project", "PyTorch", "ratio"));
        for (Map<String, Object> r : results) {
            if (!r.containsKey("runs")) continue;
            @SuppressWarnings("unchecked") List<Map<String, Object>> runs = (List<Map<String, Object>>) r.get("runs");
            for (Map<String, Object> run : runs) {
                long n = ((Number) run.get("images")).longValue();
                for (Map<String, Object> t : torch) {
                    if (((Number) t.get("images")).longValue() != n) continue;
                    double ours = ((Number) run.get("images_per_s")).doubleValue(), theirs = ((Number) t.get("images_per_s")).doubleValue();
                    sb.append(String.format("%,12d %,14.0f %,14.0f %8.2f%n", n, ours, theirs, ours / theirs));
                }
            }
        }
        return sb.append("ratio > 1: this project encodes faster\n").toString();
    }
}
