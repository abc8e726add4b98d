package latentdigits.jobs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * conf/spark-defaults.conf is the one place for the JVM flags: the driver (submit.sh's JVM), the executors and the
 * tests must all run with the settings the speed measurements were made with (docs/experiments/speed.md).
 */
class SparkDefaultsTest {
    private static final List<String> SPEED_FLAGS = List.of(
            "-Dorg.bytedeco.javacpp.maxphysicalbytes=0", "-Dorg.bytedeco.javacpp.maxbytes=0",
            "-Dshapeinfoprovider=latentdigits.performance.ShapeInfoCache");

    private static final Path PROJECT = Path.of(System.getProperty("latentdigits.project.dir", "."));

    private static List<String> options(String key) throws IOException {
        String line = Files.readAllLines(PROJECT.resolve("conf/spark-defaults.conf")).stream()
                .filter(l -> l.startsWith(key + " ") || l.startsWith(key + "\t")).findFirst()
                .orElseThrow(() -> new AssertionError("conf/spark-defaults.conf has no " + key + " line"));
        return Arrays.asList(line.substring(key.length()).trim().split("\\s+"));
    }

    @Test
    void theDriverAndTheExecutorsGetTheSpeedFlags() throws IOException {
        for (String key : List.of("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"))
            for (String flag : SPEED_FLAGS)
                assertTrue(options(key).contains(flag), key + " in conf/spark-defaults.conf lacks " + flag);
    }

    @Test
    void theTestsAndSubmitShRunWithTheDriversFlags() throws IOException {
        List<String> mine = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String flag : options("spark.driver.extraJavaOptions"))
            assertTrue(mine.contains(flag), "the test JVM lacks " + flag + " (pom.xml's argLine should be spark.driver.extraJavaOptions)");
        String submit = Files.readString(PROJECT.resolve("submit.sh"));
        assertTrue(submit.contains("'spark\\.driver\\.extraJavaOptions'") && submit.contains("exec java \"${SPARK_JAVA_FLAGS[@]}\""),
                "submit.sh should start its JVM with conf/spark-defaults.conf's spark.driver.extraJavaOptions");
    }
}
