package latentdigits.report;

import latentdigits.jobs.JobAccess;
import latentdigits.testing.Chromium;
import latentdigits.testing.TestData;
import latentdigits.testing.TestSpark;
import latentdigits.util.UserError;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * report over short real runs (an MLP VAE and its encode run, a CNN VAE, a GAN) gives one page that headless Chromium
 * renders with every image loaded and no error, every figure of the study numbered, and nothing fetched from outside.
 */
class ReportJobIT {
    @TempDir
    Path tmp;

    @Test
    void oneSelfContainedPageShowsEveryFigureAndChromiumRendersIt() throws Exception {
        SparkSession spark = TestSpark.local2();
        String data = TestData.mnist();
        String mlp = tmp.resolve("mlp").toString(), cnn = tmp.resolve("cnn").toString(), gan = tmp.resolve("gan").toString();
        JobAccess.train(spark, "--data", data, "--out", mlp, "--epochs", "2", "--train-limit", "2000", "--validation", "500");
        JobAccess.encode(spark, "--model", mlp + "/model.zip", "--data", data, "--limit", "1000", "--knn-reference-limit", "2000",
                "--iwae-k", "50", "--iwae-limit", "100", "--out", tmp.resolve("mlp-encoded").toString());
        JobAccess.train(spark, "--arch", "cnn", "--data", data, "--out", cnn, "--epochs", "1", "--train-limit", "1000", "--validation", "200");
        JobAccess.trainGan(spark, "--data", data, "--out", gan, "--epochs", "1", "--train-limit", "2000");

        Path page = tmp.resolve("report.html");
        String html = JobAccess.report(mlp, tmp.resolve("mlp-encoded").toString(), cnn, gan, "--out", page.toString());
        for (int figure = 1; figure <= 11; figure++) {
            if (figure == 9) continue; // the CNN VAE's scatter comes from an encode run of it, not given here
            assertTrue(html.contains("<b>Figure " + figure + "</b><img"), "Figure " + figure + " is missing");
        }
        assertTrue(html.contains("<b>Figure 9</b><p class=\"missing\">no such run given"), "Figure 9 says why it is absent");
        Matcher external = Pattern.compile("(src|href)=\"(?!data:)[^\"]*\"").matcher(html);
        assertFalse(external.find(), "a reference outside the page");
        assertTrue(html.contains("importance-weighted NLL"), "the encode run's bound is in the metrics");

        Chromium.Loaded loaded = Chromium.load(page.toUri().toString());
        assertEquals("yes", loaded.body().get("checked"), "the page's script ran: " + loaded.body() + "\n" + loaded.log());
        assertEquals(String.valueOf(html.split("<img ", -1).length - 1), loaded.body().get("images"), loaded.body().toString());
        assertEquals("13", loaded.body().get("images"), "MLP VAE 5 (loss, samples, scatter, interpolation, grid), CNN VAE 4, GAN 4");
        assertEquals(loaded.body().get("images"), loaded.body().get("images-loaded"), "every image loads: " + loaded.body());
        assertEquals("0", loaded.body().get("errors"), "no error on the page: " + loaded.log());
        for (String line : loaded.log().lines().toList())
            assertFalse(line.contains("CONSOLE") && line.contains("ERROR") || line.contains("Refused to"), "Chromium logged: " + line);
        Chromium.screenshot(page.toUri().toString(), Path.of(System.getProperty("java.io.tmpdir"), "report-it.png"), 1400, 4200);
    }

    @Test
    void whatIsNotARunIsSaidAndNothingIsWritten() throws Exception {
        Path notARun = Files.createDirectories(tmp.resolve("empty"));
        UserError none = assertThrows(UserError.class, () -> JobAccess.report(notARun.toString(), "--out", tmp.resolve("r.html").toString()));
        assertTrue(none.getMessage().contains("expected a run directory with config.json, found none"), none.getMessage());
        assertFalse(Files.exists(tmp.resolve("r.html")));
        UserError noRuns = assertThrows(UserError.class, () -> JobAccess.report("--out", tmp.resolve("r.html").toString()));
        assertTrue(noRuns.getMessage().startsWith("RUN: expected at least one, found none"), noRuns.getMessage());
    }
}
