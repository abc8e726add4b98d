package latentdigits.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Flag handling and failure reporting shared by every job. */
class JobsTest {
    @TempDir
    Path tmp;

    record Outcome(int code, String out, String err) {
    }

    static Outcome run(Options options, JobMain.Body body, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out));
        System.setErr(new PrintStream(err));
        try {
            return new Outcome(JobMain.execute(options, args, body), out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsEveryFlagWithItsDefault() {
        for (Options options : new Options[]{TrainVaeJob.OPTIONS, EncodeJob.OPTIONS, SampleJob.OPTIONS, FetchDataJob.OPTIONS, DemoJob.OPTIONS, ReportJob.OPTIONS}) {
            Outcome o = run(options, a -> 1, "--help");
            assertEquals(0, o.code());
            assertTrue(o.out().startsWith("Usage: ./submit.sh " + options.job()), o.out());
        }
        String help = run(TrainVaeJob.OPTIONS, a -> 1, "--help").out();
        for (String flag : new String[]{"--data", "--out", "--epochs", "--master", "--partitions", "--train-limit", "--seed", "--from-index", "--to-index"})
            assertTrue(help.contains(flag), "help lacks " + flag);
        assertTrue(help.contains("[default: 40]") && help.contains("[default: 0.001]"), help);
        String report = run(ReportJob.OPTIONS, a -> 1, "--help").out();
        assertTrue(report.startsWith("Usage: ./submit.sh report RUN... [flags]") && report.contains("  RUN...  run directories"), report);
    }

    @Test
    void confDefaultsAreTheStudysHyperparametersAndFlagsOverrideThem() {
        Options.Args a = TrainVaeJob.OPTIONS.parse(new String[]{"--epochs", "3", "--seed=9"});
        assertEquals(3, a.integer("epochs", 1));
        assertEquals(9, a.longValue("seed", 0));
        assertEquals(100, a.integer("batch", 1));
        assertEquals(0.001, a.number("learning-rate"));
        assertEquals(2, a.integer("latent", 1));
        assertEquals("mlp", a.require("arch"));
    }

    @Test
    void badFlagsFailWithOneLineNamingTheFlag() {
        Outcome unknown = run(TrainVaeJob.OPTIONS, a -> 0, "--epoch", "3");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--epoch: unknown flag"), unknown.err());
        Outcome missing = run(TrainVaeJob.OPTIONS, a -> 0, "--epochs");
        assertTrue(missing.err().contains("--epochs: expected a value"), missing.err());
        Outcome notNumber = run(TrainVaeJob.OPTIONS, a -> a.integer("epochs", 1), "--epochs", "ten");
        assertEquals(2, notNumber.code());
        assertTrue(notNumber.err().contains("--epochs: expected an integer, found 'ten'"), notNumber.err());
        Outcome tooSmall = run(TrainVaeJob.OPTIONS, a -> a.integer("epochs", 1), "--epochs", "0");
        assertTrue(tooSmall.err().contains("--epochs: expected at least 1, found 0"), tooSmall.err());
        Outcome conf = run(TrainVaeJob.OPTIONS, a -> 0, "--defaults", tmp.resolve("none.properties").toString());
        assertTrue(conf.err().contains("--defaults") && conf.err().contains("file not found"), conf.err());
    }

    @Test
    void sampleRefusesAMissingModelAndWritesNothing() {
        Path out = tmp.resolve("s.idx");
        Outcome o = run(SampleJob.OPTIONS, a -> {
            SampleJob.sample(a, new org.apache.hadoop.conf.Configuration());
            return 0;
        }, "--model", tmp.resolve("missing.zip").toString(), "--out", out.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--model") && o.err().contains("missing.zip: file not found"), o.err());
        assertFalse(Files.exists(out));
    }

    /** An output on a file system nobody knows is one line, exit 2, before any work (fetch-data and publish alike). */
    @Test
    void anUnknownSchemeIsOneLineBeforeAnyWork() {
        Outcome fetch = run(FetchDataJob.OPTIONS, a -> {
            FetchDataJob.fetch(a.require("dest"));
            return 0;
        }, "--dest", "nosuchfs://bucket/mnist");
        assertEquals(2, fetch.code(), fetch.err());
        assertEquals("fetch-data: error: --dest nosuchfs://bucket/mnist: no file system for scheme 'nosuchfs' (expected file:, hdfs:, s3a: ...)"
                .substring(0, 70), fetch.err().trim().substring(0, 70));
        assertEquals(1, fetch.err().trim().lines().count(), fetch.err());
    }
}
