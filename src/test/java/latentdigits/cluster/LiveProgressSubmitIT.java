package latentdigits.cluster;

import latentdigits.testing.Chromium;
import latentdigits.testing.SubmitProcess;
import latentdigits.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * train-vae --live serves its page on 127.0.0.1 while it trains: the page follows the epochs, Chromium renders it with
 * every image, and it answers nothing but GET /.
 */
class LiveProgressSubmitIT {
    @TempDir
    Path tmp;

    static final Pattern EPOCH = Pattern.compile("<title>train-vae: live, epoch (\\d+)</title>");

    @Test
    void aTrainingRunsLivePageUpdatesWhileItTrains() throws Exception {
        SubmitProcess training = SubmitProcess.start("train-vae", "--master", "local[2]", "--live", "--data", TestData.mnist(),
                "--epochs", "40", "--train-limit", "20000", "--validation", "1000", "--out", tmp.resolve("vae").toString());
        try {
            assertTrue(training.awaitOutput("(this machine only)", Duration.ofMinutes(2)), training.outputSoFar());
            Matcher address = Pattern.compile("live progress at (http://127\\.0\\.0\\.1:\\d+/)").matcher(training.outputSoFar());
            assertTrue(address.find(), training.outputSoFar());
            String url = address.group(1);
            HttpClient http = HttpClient.newHttpClient();
            int first = epochShown(http, url, 0), later = epochShown(http, url, first);
            assertTrue(later > first, "the page moved on from epoch " + first + " to " + later);

            Chromium.Loaded page = Chromium.load(url);
            assertEquals("yes", page.body().get("checked"), page.body() + "\n" + page.log());
            assertEquals("2", page.body().get("images"), "the curves so far and the newest samples: " + page.body());
            assertEquals("2", page.body().get("images-loaded"), page.body().toString());
            assertEquals("0", page.body().get("errors"), page.log());

            assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(url + "config.json")).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        } finally {
            training.kill();
        }
    }

    /** Polls the page until it shows an epoch after {@code after}; returns it. */
    private static int epochShown(HttpClient http, String url, int after) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            Matcher m = EPOCH.matcher(r.body());
            assertTrue(m.find(), "a live page names its epoch");
            int epoch = Integer.parseInt(m.group(1));
            if (epoch > after) return epoch;
            Thread.sleep(500);
        }
        throw new AssertionError("the live page stayed at epoch " + after + " for 2 minutes");
    }
}
