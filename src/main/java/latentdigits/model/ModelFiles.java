package latentdigits.model;

import latentdigits.util.HadoopFs;
import latentdigits.util.Json;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A model file: the zip DL4J's ModelSerializer writes (configuration.json, coefficients.bin, updaterState.bin) plus one
 * entry of ours, {@value #METADATA_ENTRY}, a JSON object saying what the network is (kind, architecture, latent size)
 * and where it came from (provenance), so a model file explains itself and the encode/sample jobs need no other input.
 * <p>
 * Reading does not trust the file: DL4J's own restore Java-deserialises some entries a zip may carry, so an untrusted
 * model.zip could run code. Here only the four known entries are accepted (anything else is refused by name), each
 * read with a size limit; the configuration may name only DL4J's, ND4J's and this project's classes; the arrays are
 * read in ND4J's binary format and checked against the network's sizes.
 */
public final class ModelFiles {
    public static final String METADATA_ENTRY = "latentdigits.json";
    static final String CONFIGURATION = "configuration.json", COEFFICIENTS = "coefficients.bin", UPDATER = "updaterState.bin";
    private static final Set<String> ENTRIES = Set.of(CONFIGURATION, COEFFICIENTS, UPDATER, METADATA_ENTRY);
    /** The classes a configuration may name (DL4J writes every layer, vertex, loss and updater as "@class"). */
    private static final List<String> ALLOWED_CLASS_PREFIXES = List.of("org.deeplearning4j.", "org.nd4j.", "latentdigits.");
    private static final long MAX_ENTRY_BYTES = 1L << 30;

    private ModelFiles() {
    }

    public record Loaded(ComputationGraph graph, Map<String, Object> metadata) {
    }

    public static byte[] toBytes(ComputationGraph graph, Map<String, Object> metadata) throws IOException {
        ByteArrayOutputStream dl4j = new ByteArrayOutputStream();
        ModelSerializer.writeModel(graph, dl4j, true);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(dl4j.size() + 4096);
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(dl4j.toByteArray()));
             ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                out.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry(METADATA_ENTRY));
            out.write(Json.pretty(metadata).getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return bytes.toByteArray();
    }

    /** Reads a model file's bytes; {@code source} names it in errors. */
    public static Loaded fromBytes(byte[] zip, String source) throws IOException {
        Map<String, byte[]> entries = entries(zip, source);
        for (String required : List.of(CONFIGURATION, COEFFICIENTS, METADATA_ENTRY))
            if (!entries.containsKey(required))
                throw new UserError(source + ": expected a latent-digits model zip with a " + required + " entry, found entries " + entries.keySet());
        String json = new String(entries.get(CONFIGURATION), StandardCharsets.UTF_8);
        checkClasses(json, source);
        ComputationGraphConfiguration conf;
        try {
            conf = ComputationGraphConfiguration.fromJson(json);
        } catch (RuntimeException e) {
            throw new UserError(source + ": " + CONFIGURATION + " is not a DL4J graph configuration (" + e.getMessage() + ")");
        }
        ComputationGraph graph = new ComputationGraph(conf);
        INDArray parameters = array(entries.get(COEFFICIENTS), COEFFICIENTS, source);
        try {
            graph.init(parameters.reshape(1, parameters.length()), false); // checks the count against the configuration
        } catch (IllegalArgumentException e) {
            throw new UserError(source + ": " + COEFFICIENTS + " does not fit the network in " + CONFIGURATION + " (" + e.getMessage() + ")");
        }
        if (entries.containsKey(UPDATER)) {
            INDArray view = graph.getUpdater().getStateViewArray();
            long expected = view == null ? 0 : view.length();
            INDArray state = array(entries.get(UPDATER), UPDATER, source);
            if (state.length() != expected)
                throw new UserError(source + ": " + UPDATER + " holds " + state.length() + " values, the network's updater has " + expected);
            if (expected > 0) view.assign(state.reshape(view.shape()));
        }
        Map<String, Object> metadata;
        try {
            metadata = Json.parse(new String(entries.get(METADATA_ENTRY), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new UserError(source + ": " + METADATA_ENTRY + " is " + e.getMessage());
        }
        return new Loaded(graph, metadata);
    }

    /** The zip's entries, each known and within the size limit; anything else is refused by name. */
    private static Map<String, byte[]> entries(byte[] zip, String source) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (!ENTRIES.contains(e.getName()))
                    throw new UserError(source + ": unexpected entry '" + e.getName() + "' (a latent-digits model zip holds only " + ENTRIES
                            + "; a model written by an older version must be trained again)");
                if (entries.containsKey(e.getName())) throw new UserError(source + ": entry '" + e.getName() + "' appears twice");
                entries.put(e.getName(), readCapped(in, e.getName(), source));
            }
        } catch (java.util.zip.ZipException e) {
            throw new UserError(source + ": not a model zip (" + e.getMessage() + ")");
        }
        if (entries.isEmpty()) throw new UserError(source + ": not a model zip (no entries)");
        return entries;
    }

    private static byte[] readCapped(InputStream in, String entry, String source) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) > 0; ) {
            out.write(buffer, 0, n);
            if (out.size() > MAX_ENTRY_BYTES) throw new UserError(source + ": entry '" + entry + "' is larger than " + (MAX_ENTRY_BYTES >> 20) + " MB");
        }
        return out.toByteArray();
    }

    /** Every "@class" the configuration names must be one of DL4J's, ND4J's or this project's. */
    static void checkClasses(String json, String source) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UserError(source + ": " + CONFIGURATION + " is not JSON (" + e.getMessage() + ")");
        }
        checkClasses(root, source);
    }

    private static void checkClasses(JsonNode node, String source) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals("@class")) {
                    String name = field.getValue().asText();
                    if (ALLOWED_CLASS_PREFIXES.stream().noneMatch(name::startsWith))
                        throw new UserError(source + ": " + CONFIGURATION + " names class '" + name + "' (expected one of DL4J's, ND4J's or latent-digits' own)");
                }
                checkClasses(field.getValue(), source);
            }
        } else if (node.isArray()) {
            node.forEach(child -> checkClasses(child, source));
        }
    }

    /** An array in ND4J's binary format. */
    private static INDArray array(byte[] bytes, String entry, String source) {
        try {
            return Nd4j.read(new DataInputStream(new ByteArrayInputStream(bytes)));
        } catch (RuntimeException e) {
            throw new UserError(source + ": " + entry + " is not an ND4J array (" + e.getMessage() + ")");
        }
    }

    /** The file's metadata, once it is known to hold a model of this kind (else a clear error naming the file). */
    public static Map<String, Object> requireKind(Loaded loaded, String kind, String what, String source) {
        Object found = loaded.metadata().get("kind");
        if (!kind.equals(found))
            throw new UserError(source + ": expected " + what + " (kind \"" + kind + "\"), found kind \"" + found + "\"");
        return loaded.metadata();
    }

    /** The name of a published model set's pointer file: it holds the name of the version it points to. */
    public static final String LATEST = "latest";

    /**
     * The model.zip a --model (or --init-from) value names: the file itself; a run directory's model.zip; or, for a
     * published model set's {@value #LATEST} pointer, the model.zip of the version it names. Null when the path does not
     * exist.
     */
    public static String resolve(String given, Configuration conf) throws IOException {
        Path path = new Path(given);
        FileSystem fs = HadoopFs.of(path, conf);
        if (!fs.exists(path)) return null;
        if (fs.getFileStatus(path).isDirectory()) return new Path(path, "model.zip").toString();
        if (path.getName().equals(LATEST)) {
            String version;
            try (InputStream in = fs.open(path)) {
                version = new String(in.readNBytes(256), java.nio.charset.StandardCharsets.UTF_8).trim();
            }
            if (!version.matches("[A-Za-z0-9._-]+"))
                throw new UserError(given + ": expected the name of a published version, found '" + version + "'");
            return new Path(new Path(path.getParent(), version), "model.zip").toString();
        }
        return path.toString();
    }

    /** The bytes of the model {@code file} names ({@link #resolve}); {@code flag} names it in the error if there is none. */
    public static byte[] readBytes(String file, String flag, Configuration conf) throws IOException {
        String resolved = resolve(file, conf);
        Path path = resolved == null ? null : new Path(resolved);
        FileSystem fs = HadoopFs.of(new Path(file), conf);
        if (path == null || !fs.exists(path)) throw new UserError(flag + " " + file + ": file not found" + (resolved != null ? " (" + resolved + ")" : ""));
        try (InputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }
}
