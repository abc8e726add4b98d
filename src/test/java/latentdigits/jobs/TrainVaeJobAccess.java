package latentdigits.jobs;

import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.Map;

/** Lets tests in other packages run jobs on the shared test Spark session, through the same flag parsing users get. */
public final class TrainVaeJobAccess {
    private TrainVaeJobAccess() {
    }

    public static List<Map<String, Object>> train(SparkSession spark, String... args) throws Exception {
        return TrainVaeJob.train(spark, TrainVaeJob.OPTIONS.parse(args), args);
    }

    public static Map<String, Object> encode(SparkSession spark, String... args) throws Exception {
        return EncodeJob.encode(spark, EncodeJob.OPTIONS.parse(args), args);
    }
}
