package latentdigits.jobs;

import latentdigits.report.HtmlReport;
import latentdigits.report.RunFiles;
import latentdigits.util.HadoopFs;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The study's figures together: one self-contained HTML page for the runs given (training runs, the encode runs of
 * their models, a published MODELS/latest), each figure numbered as in the study, runs of a kind side by side, with
 * their metrics and provenance.
 */
public final class ReportJob {
    static final Options OPTIONS = new Options("report",
            "Writes one self-contained HTML page (images embedded, no outside requests) of the runs' figures, metrics and provenance.")
            .positional("RUN", "run directories of train-vae, encode, train-gan, train-classifier, or a model set's MODELS/latest (any Hadoop path)")
            .value("out", "FILE.html", "the page to write (written under a temporary name, renamed when complete)")
            .value("title", "TEXT", "the page's title");

    private ReportJob() {
    }

    public static void main(String[] args) {
        JobMain.main(OPTIONS, args, a -> {
            report(a, new Configuration());
            return 0;
        });
    }

    public static String report(Options.Args a, Configuration conf) throws Exception {
        String out = a.require("out");
        if (!out.endsWith(".html")) throw new IllegalArgumentException("--out: expected a FILE.html, found '" + out + "'");
        HadoopFs.forOutput(new Path(out), "--out", conf);
        List<RunFiles> runs = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (String dir : a.positionals()) {
            Path p = new Path(dir);
            String name = p.getName().equals("latest") ? p.getParent().getName() + "/latest" : p.getName();
            while (!names.add(name)) name = name + "'"; // two runs named alike stay apart
            runs.add(RunFiles.read(dir, name, conf));
        }
        String page = HtmlReport.page(a.getOr("title", "latent-digits: " + String.join(", ", names)), runs, 0);
        HadoopFs.writeAtomically(out, conf, s -> s.write(page.getBytes(StandardCharsets.UTF_8)));
        System.out.println("report: wrote " + out + " (" + runs.size() + " runs, " + page.length() / 1024 + " kB)");
        return page;
    }
}
