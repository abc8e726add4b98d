package latentdigits.model;

import latentdigits.util.HadoopFs;
import latentdigits.util.Json;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Map;

/**
 * A model file is DL4J's ModelSerializer zip (parameters, configuration, Adam state) plus one entry of ours,
 * {@value #METADATA_KEY}: a JSON object saying what the network is (kind, architecture, latent size) and where it came
 * from (provenance), so a model file explains itself and the encode/sample jobs need no other input.
 */
public final class ModelFiles {
    public static final String METADATA_KEY = "latentdigits.json";

    private ModelFiles() {
    }

    public record Loaded(ComputationGraph graph, Map<String, Object> metadata) {
    }

    public static byte[] toBytes(ComputationGraph graph, Map<String, Object> metadata) throws IOException {
        java.nio.file.Path tmp = Files.createTempFile("model", ".zip");
        try {
            ModelSerializer.writeModel(graph, tmp.toFile(), true);
            ModelSerializer.addObjectToFile(tmp.toFile(), METADATA_KEY, Json.line(metadata));
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static Loaded fromBytes(byte[] zip, String source) throws IOException {
        java.nio.file.Path tmp = Files.createTempFile("model", ".zip");
        try {
            Files.write(tmp, zip);
            String meta;
            try {
                meta = ModelSerializer.getObjectFromFile(tmp.toFile(), METADATA_KEY);
            } catch (RuntimeException e) {
                throw new UserError(source + ": expected a latent-digits model zip with a " + METADATA_KEY + " entry, found none (" + e.getMessage() + ")");
            }
            ComputationGraph graph = ModelSerializer.restoreComputationGraph(tmp.toFile(), true);
            return new Loaded(graph, Json.parse(meta));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The file's metadata, once it is known to hold a model of this kind (else a clear error naming the file). */
    public static Map<String, Object> requireKind(Loaded loaded, String kind, String what, String source) {
        Object found = loaded.metadata().get("kind");
        if (!kind.equals(found))
            throw new UserError(source + ": expected " + what + " (kind \"" + kind + "\"), found kind \"" + found + "\"");
        return loaded.metadata();
    }

    public static byte[] readBytes(String file, Configuration conf) throws IOException {
        Path path = new Path(file);
        FileSystem fs = HadoopFs.of(path, conf);
        if (!fs.exists(path)) throw new UserError("--model " + file + ": file not found");
        try (InputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }

}
