package latentdigits.jobs;

import latentdigits.runtime.SparkRuntime;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;

/**
 * The README's first command: fetch MNIST, train the VAE, encode the test set, then train the GAN (fewer epochs than
 * the study's 250 by default), all on one (embedded) Spark, and put every figure on one page (report).
 */
public final class DemoJob {
    static final Options OPTIONS = new Options("demo",
            "fetch-data -> train-vae -> encode -> train-gan -> report on the embedded Spark; prints where the figures are.")
            .value("data", "DIR", "where MNIST is (fetched if missing)")
            .value("out", "DIR", "parent of the run directories (DIR/vae, DIR/vae-encoded and DIR/gan)")
            .value("epochs", "N", "VAE epochs")
            .value("gan-epochs", "N", "GAN epochs (the study trains 250: ./submit.sh train-gan runs those)")
            .value("master", "URL", "Spark master (default local[*])")
            .toggle("overwrite", "replace earlier demo output");

    private DemoJob() {
    }

    public static void main(String[] args) {
        JobMain.main(OPTIONS, args, a -> {
            String data = a.require("data"), out = a.require("out");
            System.out.println(FetchDataJob.fetch(data));
            SparkSession spark = SparkRuntime.session("demo", a.get("master"));
            try {
                List<String> common = new ArrayList<>(List.of("--data", data));
                if (a.flag("overwrite")) common.add("--overwrite");
                if (a.get("master") != null) common.addAll(List.of("--master", a.get("master")));
                String[] train = concat(common, "--out", out + "/vae", "--epochs", a.require("epochs"));
                TrainVaeJob.train(spark, TrainVaeJob.OPTIONS.parse(train), train);
                String[] encode = concat(common, "--model", out + "/vae/model.zip", "--out", out + "/vae-encoded");
                EncodeJob.encode(spark, EncodeJob.OPTIONS.parse(encode), encode);
                if (a.integer("gan-epochs", 0) > 0) {
                    String[] gan = concat(common, "--out", out + "/gan", "--epochs", a.require("gan-epochs"));
                    TrainGanJob.train(spark, TrainGanJob.OPTIONS.parse(gan), gan);
                }
            } finally {
                spark.stop();
            }
            List<String> report = new ArrayList<>(List.of(out + "/vae", out + "/vae-encoded"));
            if (a.integer("gan-epochs", 0) > 0) report.add(out + "/gan");
            report.addAll(List.of("--out", out + "/report.html", "--title", "latent-digits demo"));
            ReportJob.report(ReportJob.OPTIONS.parse(report.toArray(String[]::new)), new org.apache.hadoop.conf.Configuration());
            System.out.println("\nEvery figure on one page: " + out + "/report.html\nFigures:\n  " + out + "/vae/figures/loss.png          (Figure 1)\n  "
                    + out + "/vae-encoded/scatter.png       (Figure 2)\n  "
                    + out + "/vae/figures/interpolation.png (Figure 3)\n  "
                    + out + "/vae/figures/grid.png          (Figure 4)\n  "
                    + out + "/vae/figures/samples-epoch-*.png"
                    + (a.integer("gan-epochs", 0) > 0 ? "\n  " + out + "/gan/figures/loss.png          (Figure 5)\n  "
                    + out + "/gan/figures/samples.png       (Figure 6)\n  "
                    + out + "/gan/figures/interpolation.png (Figure 7)\n  "
                    + out + "/gan/figures/samples-epoch-*.png" : ""));
            return 0;
        });
    }

    private static String[] concat(List<String> common, String... more) {
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
