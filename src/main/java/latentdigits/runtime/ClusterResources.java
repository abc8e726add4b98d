package latentdigits.runtime;

import latentdigits.util.JobFailure;
import latentdigits.util.UserError;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * What a job needs of its cluster before it starts work, waited for with a deadline instead of Spark's silent
 * "Initial job has not accepted any resources": executors, and for a training stage (a barrier stage, all of whose
 * tasks run at once) as many free task slots as it has partitions. A driver that executors cannot reach is refused
 * before any waiting.
 */
public final class ClusterResources {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterResources.class);
    /** How long a job waits for executors (a Spark time, e.g. 120s or 5min). */
    public static final String WAIT_KEY = "spark.latentdigits.executorWait";
    static final String DEFAULT_WAIT = "120s";
    /** With --partitions 0, the slots are counted once no executor has joined for this long. */
    private static final long SETTLE_MILLIS = 3000;

    private ClusterResources() {
    }

    /**
     * The partitions to use: {@code requested}, or (0) one per task slot of the executors that registered. Waits up to
     * {@value #WAIT_KEY} for them.
     *
     * @param allAtOnce the partitions form a barrier stage, so all of them need a slot at the same time
     */
    public static int partitions(SparkContext sc, int requested, boolean allAtOnce) {
        String master = sc.master();
        if (SparkRuntime.isLocal(master)) {
            int slots = slots(sc);
            if (allAtOnce && requested > slots)
                throw new UserError("--partitions " + requested + ": a training stage runs all its partitions at once, and " + master
                        + " has " + slots + " task slots");
            return requested > 0 ? requested : sc.defaultParallelism();
        }
        refuseUnreachableDriver(sc.getConf(), master);
        long waitMillis = sc.getConf().getTimeAsMs(WAIT_KEY, DEFAULT_WAIT);
        long deadline = System.currentTimeMillis() + waitMillis;
        int expected = requested > 0 ? requested : expectedSlots(sc.getConf());
        int last = -1;
        long changed = System.currentTimeMillis();
        while (true) {
            int slots = slots(sc);
            long now = System.currentTimeMillis();
            if (slots != last) {
                last = slots;
                changed = now;
            }
            if (requested > 0 && (allAtOnce ? slots >= requested : slots > 0)) return requested;
            if (requested == 0 && slots > 0 && (expected > 0 ? slots >= expected : now - changed >= SETTLE_MILLIS)) {
                LOG.info("{}: {} executors with {} task slots; {} partitions", master, executors(sc), slots, slots);
                return slots;
            }
            if (now >= deadline) throw unavailable(sc, master, waitMillis, requested, allAtOnce, slots);
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JobFailure("interrupted waiting for executors of " + master);
            }
        }
    }

    /**
     * Waits, up to {@value #WAIT_KEY}, until the executors can run {@code needed} tasks at once again (a training stage
     * started again after a lost executor needs a replacement); {@code why} says what for in the failure.
     */
    public static void awaitSlots(SparkContext sc, int needed, String why) {
        long waitMillis = sc.getConf().getTimeAsMs(WAIT_KEY, DEFAULT_WAIT), deadline = System.currentTimeMillis() + waitMillis;
        int slots;
        while ((slots = slots(sc)) < needed) {
            if (System.currentTimeMillis() >= deadline)
                throw new JobFailure(sc.master() + ": waited " + waitMillis / 1000 + " s for " + needed + " task slots " + why
                        + "; found " + executors(sc) + " executors with " + slots + " slots");
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JobFailure("interrupted waiting for executors of " + sc.master());
            }
        }
    }

    /** Tasks the registered executors can run at once. */
    public static int slots(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }

    static int executors(SparkContext sc) {
        return sc.getExecutorIds().size();
    }

    private static JobFailure unavailable(SparkContext sc, String master, long waitMillis, int requested, boolean allAtOnce, int slots) {
        String driver = sc.getConf().get("spark.driver.host", "?") + ":" + sc.getConf().get("spark.driver.port", "?");
        int executors = executors(sc);
        long seconds = waitMillis / 1000;
        if (executors == 0)
            return new JobFailure(master + ": no executor registered within " + seconds + " s (the cluster may have no free cores or memory, or"
                    + " executors cannot reach this driver at " + driver + "); wait longer with --conf " + WAIT_KEY + "=5min");
        return new JobFailure(master + ": waited " + seconds + " s for " + requested + " task slots " + (allAtOnce
                ? "at once (a training stage runs all its partitions together)" : "") + "; found " + executors + " executors with "
                + slots + " slots. Lower --partitions, or give the job more cores (--total-executor-cores, --num-executors)");
    }

    /** The slots the configuration asks for, when it says (standalone's cores.max; YARN's and Kubernetes' instances x cores). */
    static int expectedSlots(SparkConf conf) {
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        if (conf.contains("spark.cores.max")) return conf.getInt("spark.cores.max", 0) / taskCpus;
        if (conf.contains("spark.executor.instances") && conf.contains("spark.executor.cores"))
            return conf.getInt("spark.executor.instances", 0) * conf.getInt("spark.executor.cores", 1) / taskCpus;
        return 0;
    }

    /**
     * A driver that advertises a loopback address to a master on another host is unreachable from every executor: Spark
     * would wait for ever while executors die on "Failed to connect". Refused at once, naming the fix.
     */
    static void refuseUnreachableDriver(SparkConf conf, String master) {
        String driverHost = conf.get("spark.driver.host", "");
        if (!isLoopback(driverHost)) return;
        String masterHost = masterHost(master);
        if (masterHost != null && isLoopback(masterHost)) return; // a one-host cluster: loopback reaches everything
        throw new UserError("spark.driver.host is " + driverHost + " (loopback), which executors of " + master + " cannot reach;"
                + " unset SPARK_LOCAL_IP, or set --conf spark.driver.host=<this host's address>");
    }

    private static String masterHost(String master) {
        if (!master.startsWith("spark://")) return null; // yarn, k8s://: executors run elsewhere
        try {
            return URI.create(master.split(",")[0]).getHost();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean isLoopback(String host) {
        if (host.isEmpty()) return false;
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
