package latentdigits.report;

import latentdigits.model.ModelFiles;
import latentdigits.util.HadoopFs;
import latentdigits.util.Json;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a run directory holds, read once from any Hadoop path: its job and configuration (config.json), its metrics
 * (metrics.jsonl), summary.json or test.json, and its figures. A published model set's "latest" resolves to the run
 * it points at. Works on a run still training (its staging directory) as on a finished one.
 */
public record RunFiles(String path, String name, String job, Map<String, Object> config, List<Map<String, Object>> metrics,
                       Map<String, Object> summary, Map<String, byte[]> figures) {

    /** The figures a report can show: the run's figures/ (newest per-epoch samples only) and an encode run's scatter. */
    static final List<String> FIGURES = List.of("figures/loss.png", "figures/interpolation.png", "figures/grid.png",
            "figures/samples.png", "scatter.png");

    public static RunFiles read(String dir, String name, Configuration conf) {
        Path path = new Path(dir);
        try {
            FileSystem fs = HadoopFs.of(path, conf);
            if (path.getName().equals(ModelFiles.LATEST) && fs.isFile(path)) // MODELS/latest names the published version
                path = new Path(ModelFiles.resolve(dir, conf)).getParent();
            if (!fs.exists(path) || !fs.getFileStatus(path).isDirectory())
                throw new UserError(dir + ": expected a run directory, found " + (fs.exists(path) ? "a file" : "nothing"));
            Map<String, Object> config = json(fs, new Path(path, "config.json"));
            if (config == null) throw new UserError(dir + ": expected a run directory with config.json, found none (not a finished or running run)");
            List<Map<String, Object>> metrics = new ArrayList<>();
            byte[] lines = HadoopFs.readIfExists(fs, new Path(path, "metrics.jsonl"));
            if (lines != null) new String(lines, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).forEach(l -> metrics.add(Json.parse(l)));
            Map<String, Object> summary = json(fs, new Path(path, "summary.json"));
            if (summary == null) summary = json(fs, new Path(path, "test.json"));
            Map<String, byte[]> figures = new java.util.LinkedHashMap<>();
            for (String f : FIGURES) {
                byte[] bytes = HadoopFs.readIfExists(fs, new Path(path, f));
                if (bytes != null) figures.put(f, bytes);
            }
            Path newest = newestSamples(fs, new Path(path, "figures"));
            if (newest != null) figures.put("figures/" + newest.getName(), HadoopFs.readIfExists(fs, newest));
            return new RunFiles(path.toString(), name, String.valueOf(config.get("job")), config, metrics, summary, figures);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot read: " + e.getMessage());
        }
    }

    /** The flags the run was started with (config.json's "config"). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> flags() {
        Object c = config.get("config");
        return c instanceof Map ? (Map<String, Object>) c : Map.of();
    }

    public String flag(String key) {
        Object v = flags().get(key);
        return v == null ? "" : v.toString();
    }

    private static Path newestSamples(FileSystem fs, Path figures) throws IOException {
        if (!fs.exists(figures)) return null;
        Path newest = null;
        for (FileStatus f : fs.listStatus(figures)) {
            String n = f.getPath().getName();
            if (n.matches("samples-epoch-\\d+\\.png") && (newest == null || n.compareTo(newest.getName()) > 0)) newest = f.getPath();
        }
        return newest;
    }

    private static Map<String, Object> json(FileSystem fs, Path file) throws IOException {
        byte[] bytes = HadoopFs.readIfExists(fs, file);
        if (bytes == null) return null;
        try {
            return Json.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new UserError(file + ": not valid JSON (" + e.getMessage() + ")");
        }
    }

}
