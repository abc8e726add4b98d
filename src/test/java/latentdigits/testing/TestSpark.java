package latentdigits.testing;

import latentdigits.runtime.SparkRuntime;
import org.apache.spark.sql.SparkSession;

/** One local[2] Spark session for the whole test JVM: starting Spark costs seconds. */
public final class TestSpark {
    private static SparkSession session;

    private TestSpark() {
    }

    public static synchronized SparkSession local2() {
        if (session == null) {
            session = SparkRuntime.session("tests", "local[2]");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> session.stop()));
        }
        return session;
    }
}
