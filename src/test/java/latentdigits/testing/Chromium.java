package latentdigits.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's headless Chromium, as the HTML tests use it: load a page, let its scripts run, and read back the DOM
 * (the report's self-check writes its counts on body) and what the browser logged; or take a screenshot to look at.
 */
public final class Chromium {
    private Chromium() {
    }

    public record Loaded(Map<String, String> body, String log) {
    }

    static String executable() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                if (Files.isExecutable(Path.of(dir, name))) return Path.of(dir, name).toString();
            }
        }
        throw new IllegalStateException("no Chromium on PATH: the HTML tests need a real browser (Debian: apt-get install chromium)");
    }

    private static List<String> command(String... args) {
        List<String> c = new ArrayList<>(List.of(executable(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-extensions", "--user-data-dir=" + System.getProperty("java.io.tmpdir") + "/chromium-tests"));
        c.addAll(List.of(args));
        return c;
    }

    /**
     * Loads {@code url}, runs its scripts for 2 s of virtual time (less than the live page takes to reload itself, 5 s),
     * returns body's data-* attributes and the log.
     */
    public static Loaded load(String url) throws IOException, InterruptedException {
        Path log = Files.createTempFile("chromium-", ".log");
        Process p = new ProcessBuilder(command("--virtual-time-budget=2000", "--enable-logging=stderr", "--v=0", "--dump-dom", url))
                .redirectError(log.toFile()).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium did not finish loading " + url + " in 90 s");
        }
        Matcher body = Pattern.compile("<body([^>]*)>").matcher(dom);
        Map<String, String> attributes = new LinkedHashMap<>();
        if (body.find()) {
            Matcher a = Pattern.compile("data-([a-z-]+)=\"([^\"]*)\"").matcher(body.group(1));
            while (a.find()) attributes.put(a.group(1), a.group(2));
        }
        return new Loaded(attributes, Files.readString(log));
    }

    public static void screenshot(String url, Path png, int width, int height) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command("--hide-scrollbars", "--window-size=" + width + "," + height, "--screenshot=" + png, url))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) p.destroyForcibly();
    }
}
