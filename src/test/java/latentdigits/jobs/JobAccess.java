package latentdigits.jobs;

import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.Map;

/** Lets tests in other packages run jobs on the shared test Spark session, through the same flag parsing users get. */
public final class JobAccess {
    private JobAccess() {
    }

    public static List<Map<String, Object>> train(SparkSession spark, String... args) throws Exception {
        return TrainVaeJob.train(spark, TrainVaeJob.OPTIONS.parse(args), args);
    }

    public static List<Map<String, Object>> trainGan(SparkSession spark, String... args) throws Exception {
        return TrainGanJob.train(spark, TrainGanJob.OPTIONS.parse(args), args);
    }

    public static Map<String, Object> trainClassifier(SparkSession spark, String... args) throws Exception {
        return TrainClassifierJob.train(spark, TrainClassifierJob.OPTIONS.parse(args), args);
    }

    public static Map<String, Object> score(String... args) throws Exception {
        return ScoreJob.score(ScoreJob.OPTIONS.parse(args), new org.apache.hadoop.conf.Configuration());
    }

    public static Map<String, Object> encode(SparkSession spark, String... args) throws Exception {
        return EncodeJob.encode(spark, EncodeJob.OPTIONS.parse(args), args);
    }

    public static String report(String... args) throws Exception {
        return ReportJob.report(ReportJob.OPTIONS.parse(args), new org.apache.hadoop.conf.Configuration());
    }

    /** Exit code and standard error of the encode job as JobMain runs it (one line for a user's mistake). */
    public record Outcome(int code, String err) {
    }

    public static Outcome encodeOutcome(SparkSession spark, String... args) {
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err));
        try {
            return new Outcome(JobMain.execute(EncodeJob.OPTIONS, args, a -> {
                EncodeJob.encode(spark, a, args);
                return 0;
            }), err.toString());
        } finally {
            System.setErr(oldErr);
        }
    }
}
