package latentdigits.runtime;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * One way to get a Spark session for every job. Under spark-submit the master and everything else comes from
 * spark-submit. Run directly (the embedded mode), it is local[*] (or --master); a local master binds the driver to
 * 127.0.0.1 with the UI off, so nothing of the job is reachable from other hosts. A cluster master leaves the driver's
 * address to Spark (the hostname, SPARK_LOCAL_IP or spark.driver.host), which executors on other hosts must reach.
 */
public final class SparkRuntime {
    private SparkRuntime() {
    }

    public static SparkSession session(String appName, String masterFlag) {
        SparkConf conf = new SparkConf(); // picks up spark.* system properties: spark-submit's, or --conf in the embedded mode
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        String master = conf.contains("spark.master") ? conf.get("spark.master")
                : masterFlag == null || masterFlag.isBlank() ? "local[*]" : masterFlag;
        builder.master(master);
        if (isLocal(master)) {
            builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
            if (!conf.contains("spark.ui.enabled")) builder.config("spark.ui.enabled", "false");
            if (!conf.contains("spark.sql.shuffle.partitions")) builder.config("spark.sql.shuffle.partitions", "8");
        }
        SparkSession session = builder.getOrCreate();
        session.sparkContext().setLogLevel("WARN");
        return session;
    }

    /** local, local[N], local[*], local-cluster[...]: everything in (or started by) this JVM. */
    public static boolean isLocal(String master) {
        return master.startsWith("local");
    }

    public static JavaSparkContext context(SparkSession session) {
        return JavaSparkContext.fromSparkContext(session.sparkContext());
    }
}
