package latentdigits.jobs;

import latentdigits.runtime.SparkRuntime;
import latentdigits.util.Json;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scheduled retraining, step by step, on one (embedded) Spark: the steps of jobs/airflow/latent_digits_retrain.py
 * in the DAG's order, with its arguments (a test reads the DAG with Python's ast and compares them with
 * {@code --print-steps}). Every step is one of this project's jobs and keeps their contract: a step whose output is
 * complete is a no-op, an unfinished one is continued, a failing gate ends the run with exit code 4.
 */
public final class RetrainJob {
    static final Options OPTIONS = new Options("retrain",
            "The Airflow DAG's steps in its order on one Spark: fetch-data, train-vae, encode, train-classifier, train-gan, sample, score, publish x 2.")
            .value("data", "DIR", "where MNIST is (fetched and verified if missing)")
            .value("runs", "DIR", "runs go to DIR/DATE/{vae, vae-encoded, classifier, gan, gan-samples.idx}")
            .value("models", "DIR", "published models: DIR/vae and DIR/gan, each with VERSION/ and latest; training starts from latest")
            .value("date", "YYYY-MM-DD", "the run's logical date (Airflow's ds): names its run directories and published versions")
            .value("epochs", "N", "VAE epochs")
            .value("gan-epochs", "N", "GAN epochs")
            .value("train-limit", "N", "training images of every training step (0 = all)")
            .value("validation", "N", "of those, held out for the VAE's and the classifier's validation")
            .value("max-nelbo", "X", "publish the VAE only if its final validation NELBO is at most X")
            .value("max-fid", "Y", "publish the GAN only if its samples' Fréchet distance is at most Y")
            .value("master", "URL", "Spark master when not run by spark-submit (default local[*])")
            .toggle("print-steps", "print the steps (task id, job, arguments with the DAG's {{ }} placeholders) as JSON and exit");

    /** One task of the DAG: a job of this project and its arguments, with the DAG's Jinja placeholders. */
    record Step(String taskId, String job, List<String> args) {
    }

    private static final String D = "{{ params.data }}", RUN = "{{ params.runs }}/{{ ds }}", M = "{{ params.models }}";

    /** The DAG's tasks, in its order. */
    static final List<Step> STEPS = List.of(
            new Step("fetch_data", "fetch-data", List.of("--dest", D)),
            new Step("train_vae", "train-vae", List.of("--data", D, "--out", RUN + "/vae", "--epochs", "{{ params.epochs }}",
                    "--train-limit", "{{ params.train_limit }}", "--validation", "{{ params.validation }}", "--init-from", M + "/vae/latest")),
            new Step("encode", "encode", List.of("--data", D, "--model", RUN + "/vae/model.zip", "--out", RUN + "/vae-encoded")),
            new Step("train_classifier", "train-classifier", List.of("--data", D, "--out", RUN + "/classifier",
                    "--train-limit", "{{ params.train_limit }}", "--validation", "{{ params.validation }}")),
            new Step("train_gan", "train-gan", List.of("--data", D, "--out", RUN + "/gan", "--epochs", "{{ params.gan_epochs }}",
                    "--train-limit", "{{ params.train_limit }}", "--init-from", M + "/gan/latest")),
            new Step("sample_gan", "sample", List.of("--model", RUN + "/gan/model.zip", "--n", "10000", "--out", RUN + "/gan-samples.idx")),
            new Step("score_gan", "score", List.of("--classifier", RUN + "/classifier/model.zip", "--samples", RUN + "/gan-samples.idx",
                    "--data", D)),
            new Step("publish_vae", "publish", List.of("--run", RUN + "/vae", "--to", M + "/vae", "--version", "{{ ds }}",
                    "--max-nelbo", "{{ params.max_nelbo }}")),
            new Step("publish_gan", "publish", List.of("--run", RUN + "/gan", "--to", M + "/gan", "--version", "{{ ds }}",
                    "--max-fid", "{{ params.max_fid }}", "--classifier", RUN + "/classifier/model.zip", "--data", D)));

    /** How a step's job runs in this JVM: its flags and its work, exit codes as the job's own command would give. */
    private interface Runner {
        int run(SparkSession spark, String[] args);
    }

    private static final Map<String, Runner> RUNNERS = Map.of(
            "fetch-data", (spark, args) -> JobMain.execute(FetchDataJob.OPTIONS, args, a -> {
                System.out.println(FetchDataJob.fetch(a.require("dest")));
                return 0;
            }),
            "train-vae", (spark, args) -> JobMain.execute(TrainVaeJob.OPTIONS, args, a -> done(() -> TrainVaeJob.train(spark, a, args))),
            "encode", (spark, args) -> JobMain.execute(EncodeJob.OPTIONS, args, a -> done(() -> EncodeJob.encode(spark, a, args))),
            "train-classifier", (spark, args) -> JobMain.execute(TrainClassifierJob.OPTIONS, args,
                    a -> done(() -> TrainClassifierJob.train(spark, a, args))),
            "train-gan", (spark, args) -> JobMain.execute(TrainGanJob.OPTIONS, args, a -> done(() -> TrainGanJob.train(spark, a, args))),
            "sample", (spark, args) -> JobMain.execute(SampleJob.OPTIONS, args, a -> done(() -> SampleJob.sample(a, new Configuration()))),
            "score", (spark, args) -> JobMain.execute(ScoreJob.OPTIONS, args, a -> done(() -> ScoreJob.score(a, new Configuration()))),
            "publish", (spark, args) -> JobMain.execute(PublishJob.OPTIONS, args, a -> done(() -> PublishJob.publish(a, new Configuration()))));

    private interface Work {
        Object run() throws Exception;
    }

    private static int done(Work work) throws Exception {
        work.run();
        return 0;
    }

    private RetrainJob() {
    }

    public static void main(String[] args) {
        JobMain.main(OPTIONS, args, a -> {
            if (a.flag("print-steps")) {
                List<Map<String, Object>> steps = new ArrayList<>();
                for (Step step : STEPS) {
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("task_id", step.taskId());
                    s.put("job", step.job());
                    s.put("args", step.args());
                    steps.add(s);
                }
                System.out.print(Json.pretty(steps));
                return 0;
            }
            return retrain(a);
        });
    }

    /** Runs the steps in order; the first that fails ends the run with its exit code (4 for a gate). */
    static int retrain(Options.Args a) {
        Map<String, String> values = placeholders(a);
        SparkSession spark = SparkRuntime.session("retrain", a.get("master"));
        try {
            for (Step step : STEPS) {
                String[] args = step.args().stream().map(arg -> fill(arg, values)).toArray(String[]::new);
                System.out.println("retrain: " + step.taskId() + ": ./submit.sh " + step.job() + " " + String.join(" ", args));
                int code = RUNNERS.get(step.job()).run(spark, args);
                if (code != 0) {
                    System.err.println("retrain: step " + step.taskId() + " ended with exit code " + code + "; the steps after it did not run");
                    return code;
                }
            }
        } finally {
            spark.stop();
        }
        System.out.println("retrain: every step done; " + values.get("params.models") + "/vae/latest and /gan/latest name " + values.get("ds"));
        return 0;
    }

    /** The DAG's placeholders as this job's flags give them. */
    static Map<String, String> placeholders(Options.Args a) {
        String date = a.require("date");
        try {
            LocalDate.parse(date);
        } catch (DateTimeParseException e) {
            throw new UserError("--date: expected YYYY-MM-DD (Airflow's ds), found '" + date + "'");
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put("ds", date);
        v.put("params.data", a.require("data"));
        v.put("params.runs", a.require("runs"));
        v.put("params.models", a.require("models"));
        v.put("params.epochs", String.valueOf(a.integer("epochs", 1)));
        v.put("params.gan_epochs", String.valueOf(a.integer("gan-epochs", 1)));
        v.put("params.train_limit", String.valueOf(a.integer("train-limit", 0)));
        v.put("params.validation", String.valueOf(a.integer("validation", 0)));
        v.put("params.max_nelbo", String.valueOf(a.number("max-nelbo")));
        v.put("params.max_fid", String.valueOf(a.number("max-fid")));
        return v;
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{ ([a-z_.]+) }}");

    static String fill(String arg, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(arg);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) throw new IllegalStateException("no value for placeholder " + m.group());
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
