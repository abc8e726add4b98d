package latentdigits.runtime;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * One way to get a Spark session for every job. Under spark-submit the master and everything else comes from
 * spark-submit; run directly (the embedded mode), it is local[*] (or --master) bound to loopback with the UI off.
 */
public final class SparkRuntime {
    private SparkRuntime() {
    }

    public static SparkSession session(String appName, String masterFlag) {
        SparkConf conf = new SparkConf(); // picks up spark.* system properties set by spark-submit
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (!conf.contains("spark.master")) {
            builder.master(masterFlag == null || masterFlag.isBlank() ? "local[*]" : masterFlag)
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "8");
        }
        SparkSession session = builder.getOrCreate();
        session.sparkContext().setLogLevel("WARN");
        return session;
    }

    public static JavaSparkContext context(SparkSession session) {
        return JavaSparkContext.fromSparkContext(session.sparkContext());
    }

    /** One partition per executor core unless the user said otherwise. */
    public static int partitions(JavaSparkContext jsc, int requested) {
        return requested > 0 ? requested : jsc.defaultParallelism();
    }
}
