package latentdigits.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** ./submit.sh run as a user runs it, in its own process from the project directory, output captured. */
public final class SubmitProcess {
    public static final Path PROJECT = Path.of(System.getProperty("latentdigits.project.dir", ".")).toAbsolutePath().normalize();

    private final Process process;
    private final Path log;

    private SubmitProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code ./submit.sh args...}; the uber jar must be built already (the tests that use this run under mvn verify). */
    public static SubmitProcess start(String... args) throws IOException {
        if (!Files.exists(PROJECT.resolve("target/latent-digits-spark.jar")))
            throw new IllegalStateException("target/latent-digits-spark.jar is missing: these tests run under mvn verify, after the package phase");
        List<String> argv = new ArrayList<>(List.of("./submit.sh"));
        argv.addAll(List.of(args));
        Path log = Files.createTempFile("submit-", ".log");
        ProcessBuilder pb = new ProcessBuilder(argv).directory(PROJECT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("SPARK_LOCAL_IP");
        return new SubmitProcess(pb.start(), log);
    }

    /** Runs {@code ./submit.sh args...} to its end. */
    public static Result run(Duration timeout, String... args) throws IOException, InterruptedException {
        return start(args).await(timeout);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String outputSoFar() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** Waits until the output contains {@code text} (or the process ends, or the timeout passes); true if it appeared. */
    public boolean awaitOutput(String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (outputSoFar().contains(text)) return true;
            if (!process.isAlive()) return outputSoFar().contains(text);
            Thread.sleep(50);
        }
        return false;
    }

    /** SIGKILL, as a lost node or an out-of-memory killer would: no shutdown hook, no cleanup. */
    public void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
    }

    public Result await(Duration timeout) throws IOException, InterruptedException {
        boolean done = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
        }
        return new Result(done ? process.exitValue() : -1, outputSoFar());
    }

    /** How it ended: exit code (-1 if it was killed at the timeout) and everything it printed. */
    public record Result(int exitCode, String output) {
        /** The last line printed, where a failing job says why. */
        public String lastLine() {
            List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }
    }
}
