package latentdigits.cluster;

import latentdigits.testing.SubmitProcess;
import latentdigits.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A driver killed mid-run (SIGKILL: no shutdown hook runs) and the same command rerun with --resume: it continues after
 * the last finished epoch and ends with the metrics of an uninterrupted run, to the last digit. The embedded Spark,
 * each job as a user runs it, through ./submit.sh.
 */
class ResumeClusterIT {
    @TempDir
    Path tmp;

    private static String[] command(Path out, String job, String... flags) throws Exception {
        List<String> all = new ArrayList<>(List.of(job, "--master", "local[2]", "--data", TestData.mnist(), "--out", out.toString()));
        all.addAll(List.of(flags));
        return all.toArray(String[]::new);
    }

    private static String[] with(String[] command, String... more) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @ParameterizedTest(name = "{0}: killed after epoch {2} of {1}")
    @CsvSource({
            "'train-vae --train-limit 6000 --validation 500 --eval-limit 1000', 8, 4",
            "'train-vae --arch cnn --train-limit 1500 --validation 300 --eval-limit 300', 3, 1",
            "'train-gan --train-limit 3000', 4, 2",
            "'train-classifier --train-limit 2000 --validation 300', 3, 1"})
    void aKilledDriverResumesToTheUninterruptedMetrics(String job, int epochs, int killedAfter) throws Exception {
        String[] words = job.split(" ");
        String[] flags = with(java.util.Arrays.copyOfRange(words, 1, words.length), "--epochs", String.valueOf(epochs));
        Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
        SubmitProcess.Result reference = SubmitProcess.run(Duration.ofMinutes(10), command(whole, words[0], flags));
        assertEquals(0, reference.exitCode(), reference.output());

        SubmitProcess run = SubmitProcess.start(command(killed, words[0], flags));
        assertTrue(run.awaitOutput("epoch " + killedAfter + "/" + epochs, Duration.ofMinutes(5)), run.outputSoFar());
        run.kill();
        assertFalse(Files.exists(killed), "a killed run must not look finished");

        SubmitProcess.Result resumed = SubmitProcess.run(Duration.ofMinutes(10), with(command(killed, words[0], flags), "--resume"));
        assertEquals(0, resumed.exitCode(), resumed.output());
        int lastCheckpointed = resumed.output().lines().filter(l -> l.contains("resuming after epoch")).findFirst()
                .map(l -> Integer.parseInt(l.replaceAll(".*resuming after epoch (\\d+) .*", "$1"))).orElse(-1);
        assertTrue(lastCheckpointed >= killedAfter - 1 && lastCheckpointed < epochs, "resumed after epoch " + lastCheckpointed + ":\n" + resumed.output());
        assertFalse(resumed.output().contains("epoch " + lastCheckpointed + "/" + epochs + " "), "an epoch already done was trained again");
        assertEquals(MultiHostClusterIT.metrics(whole), MultiHostClusterIT.metrics(killed), "the resumed run's metrics.jsonl");
        assertTrue(Files.readString(killed.resolve("config.json")).contains("\"resumed\""), "config.json records the resumption");
    }

    /**
     * Another configuration than the unfinished run's is refused, naming what differs, and keeps the run; the same
     * command (with or without --resume) continues it.
     */
    @Test
    void anotherConfigurationIsRefusedAndTheSameCommandContinues() throws Exception {
        Path out = tmp.resolve("run");
        String[] command = command(out, "train-vae", "--train-limit", "3000", "--validation", "300", "--eval-limit", "300", "--epochs", "6");
        SubmitProcess run = SubmitProcess.start(command);
        assertTrue(run.awaitOutput("epoch 2/6", Duration.ofMinutes(5)), run.outputSoFar());
        run.kill();
        SubmitProcess.Result refused = SubmitProcess.run(Duration.ofMinutes(5), with(command, "--resume", "--learning-rate", "0.002"));
        assertEquals(2, refused.exitCode(), refused.output());
        assertTrue(refused.lastLine().contains("was made with another configuration (--learning-rate 0.001 then, 0.002 now)"), refused.lastLine());
        SubmitProcess.Result continued = SubmitProcess.run(Duration.ofMinutes(5), command);
        assertEquals(0, continued.exitCode(), continued.output());
        assertTrue(continued.output().contains("resuming after epoch"), "the same command continues the unfinished run:\n" + continued.output());
        SubmitProcess.Result again = SubmitProcess.run(Duration.ofMinutes(5), command);
        assertEquals(0, again.exitCode(), again.output());
        assertTrue(again.output().contains("is complete already"), again.output());
    }
}
