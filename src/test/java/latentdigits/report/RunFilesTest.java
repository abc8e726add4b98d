package latentdigits.report;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a report reads of a run: a published model set's latest resolves to its version; the newest samples only. */
class RunFilesTest {
    @TempDir
    Path tmp;

    @Test
    void latestResolvesToThePublishedVersionAndOnlyTheNewestSamplesAreRead() throws Exception {
        Path version = Files.createDirectories(tmp.resolve("models/2026-12-07/figures"));
        Files.writeString(version.getParent().resolve("config.json"), "{\"job\": \"train-vae\", \"config\": {\"arch\": \"mlp\"}}");
        Files.writeString(version.getParent().resolve("metrics.jsonl"), "{\"epoch\":1,\"val_xent\":150.0,\"val_kl\":5.0}\n{\"epoch\":2,\"val_xent\":140.0,\"val_kl\":6.0}\n");
        for (String f : new String[]{"samples-epoch-001.png", "samples-epoch-002.png", "grid.png"}) Files.write(version.resolve(f), new byte[]{1});
        Files.writeString(tmp.resolve("models/latest"), "2026-12-07\n");

        RunFiles run = RunFiles.read(tmp.resolve("models/latest").toString(), "published", new Configuration());
        assertTrue(run.path().endsWith("models/2026-12-07"), run.path());
        assertEquals("train-vae", run.job());
        assertEquals("mlp", run.flag("arch"));
        assertEquals(2, run.metrics().size());
        assertTrue(run.figures().containsKey("figures/samples-epoch-002.png") && !run.figures().containsKey("figures/samples-epoch-001.png"),
                run.figures().keySet().toString());
        assertTrue(run.figures().containsKey("figures/grid.png"));
        assertTrue(HtmlReport.sameRun(tmp.resolve("models/2026-12-07").toString(), tmp.resolve("models/2026-12-07/model.zip").toString()));
    }
}
