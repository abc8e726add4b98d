package latentdigits.model;

import latentdigits.util.UserError;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model file is read without trusting it: nothing in it is Java-deserialised, and only known classes are built. */
class ModelFilesTest {
    private static byte[] model() throws Exception {
        return VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 2, 1e-3, 1, DataType.FLOAT)).toBytes(Map.of("note", "test"));
    }

    /** The zip with each entry passed through {@code edit} (name, bytes) -> bytes (null drops it), plus {@code extra}. */
    private static byte[] rewrite(byte[] zip, BiFunction<String, byte[], byte[]> edit, String extraName, byte[] extra) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip)); ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] content = edit.apply(e.getName(), in.readAllBytes());
                if (content == null) continue;
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(content);
                out.closeEntry();
            }
            if (extraName != null) {
                out.putNextEntry(new ZipEntry(extraName));
                out.write(extra);
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static String refusal(byte[] zip) {
        return assertThrows(UserError.class, () -> ModelFiles.fromBytes(zip, "m.zip")).getMessage();
    }

    @Test
    void aSavedModelReadsBackWithItsMetadata() throws Exception {
        ModelFiles.Loaded loaded = ModelFiles.fromBytes(model(), "m.zip");
        assertEquals(Map.of("note", "test"), loaded.metadata().get("provenance"));
        assertEquals(VaeModel.KIND, loaded.metadata().get("kind"));
    }

    @Test
    void anEntryDl4jWouldJavaDeserialiseIsRefused() throws Exception {
        ByteArrayOutputStream serialised = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(serialised)) {
            out.writeObject(new java.util.HashMap<String, String>());
        }
        String message = refusal(rewrite(model(), (n, b) -> b, "preprocessor.bin", serialised.toByteArray()));
        assertTrue(message.contains("unexpected entry 'preprocessor.bin'"), message);
        message = refusal(rewrite(model(), (n, b) -> b, "objects/latentdigits.json", serialised.toByteArray()));
        assertTrue(message.contains("unexpected entry 'objects/latentdigits.json'"), message);
    }

    @Test
    void aConfigurationNamingAForeignClassIsRefused() throws Exception {
        byte[] zip = rewrite(model(), (name, bytes) -> !name.equals(ModelFiles.CONFIGURATION) ? bytes
                : new String(bytes, StandardCharsets.UTF_8).replaceFirst("\"@class\" ?: ?\"[^\"]+\"", "\"@class\":\"javax.script.ScriptEngineManager\"")
                .getBytes(StandardCharsets.UTF_8), null, null);
        String message = refusal(zip);
        assertTrue(message.contains("names class 'javax.script.ScriptEngineManager'"), message);
    }

    @Test
    void parametersThatDoNotFitTheNetworkAreRefused() throws Exception {
        byte[] other = VaeModel.create(new VaeNetworks.Spec(new MlpVae(), 3, 1e-3, 1, DataType.FLOAT)).toBytes(Map.of());
        byte[][] coefficients = new byte[1][];
        rewrite(other, (name, bytes) -> {
            if (name.equals(ModelFiles.COEFFICIENTS)) coefficients[0] = bytes;
            return bytes;
        }, null, null);
        String message = refusal(rewrite(model(), (name, bytes) -> name.equals(ModelFiles.COEFFICIENTS) ? coefficients[0] : bytes, null, null));
        assertTrue(message.contains("does not fit the network"), message);
    }

    @Test
    void brokenFilesGetOneClearLine() throws Exception {
        assertTrue(refusal("not a zip at all".getBytes(StandardCharsets.UTF_8)).contains("not a model zip"));
        String missing = refusal(rewrite(model(), (name, bytes) -> name.equals(ModelFiles.METADATA_ENTRY) ? null : bytes, null, null));
        assertTrue(missing.contains("with a latentdigits.json entry"), missing);
        String garbage = refusal(rewrite(model(), (name, bytes) -> name.equals(ModelFiles.COEFFICIENTS) ? new byte[]{1, 2, 3} : bytes, null, null));
        assertTrue(garbage.contains("coefficients.bin"), garbage);
    }
}
