package latentdigits.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A multi-host Spark standalone cluster on this one machine, built from Linux network namespaces, for tests that
 * need what local[N] hides: several hosts with their own addresses and host names, a driver on an edge node, a host
 * that dies. Needs root and iproute2 ({@link #assumeAvailable()} skips the test otherwise).
 * <p>
 * Layout (one private bridge per cluster, traffic never leaves it; the bridge has no address, so the root namespace
 * has no route into the cluster and two clusters may use the same subnet):
 * <pre>
 *   ld-master  10.231.0.1   namespace ldt-ID-m    Spark Master  spark://ld-master:7077
 *   ld-driver  10.231.0.10  namespace ldt-ID-e    edge node: {@link #onEdge} runs commands here
 *   ld-workerI 10.231.0.1I  namespace ldt-ID-wI   Spark Worker with C cores (I = 1..)
 * </pre>
 * Every namespace gets the same hosts file (/etc/netns/NS/hosts, which {@code ip netns exec} bind-mounts over
 * /etc/hosts) and its own host name ({@code unshare --uts}), so each name resolves to the same address everywhere,
 * as with DNS. Master and workers run from the project's runtime classpath (target/classpath.txt, else the test
 * classpath) through a SPARK_HOME whose jars/ links those jars minus DL4J/ND4J/JavaCPP/OpenBLAS (the application's
 * uber jar brings those).
 * <p>
 * Everything carries the prefix {@value #PREFIX} and a random id; a lock file /run/latentdigits-netns/ID.lock, held
 * while the cluster lives, tells live clusters from those of crashed runs, which {@link #start} removes. close() (and
 * a shutdown hook) kills every process in the namespaces, deletes namespaces, bridge, veths and /etc/netns entries.
 */
public final class NetnsCluster implements AutoCloseable {
    public static final String PREFIX = "ldt";
    public static final String MASTER_HOST = "ld-master";
    public static final String EDGE_HOST = "ld-driver";
    public static final String SUBNET = "10.231.0";
    private static final Path LOCK_DIR = Path.of("/run/latentdigits-netns");
    private static final Path ETC_NETNS = Path.of("/etc/netns");
    /** ldt-ID-m, ldt-ID-e, ldt-ID-wI (namespaces); ldtIDbr, ldtIDm, ldtIDe, ldtIDwI (links: at most 15 characters). */
    private static final Pattern NS_NAME = Pattern.compile(PREFIX + "-([0-9a-f]{6})-(m|e|w\\d+)");
    private static final Pattern LINK_NAME = Pattern.compile(PREFIX + "([0-9a-f]{6})(br|m|e|w\\d+)");
    private static final Pattern NOT_ON_SPARK_CLASSPATH =
            Pattern.compile("deeplearning4j|/nd4j|javacpp|openblas|/bytedeco/|/datavec");
    private static final Duration REGISTRATION_TIMEOUT = Duration.ofSeconds(90);

    /** The output of one command, with how it ended. */
    public record Result(int exitCode, boolean timedOut, String output, Duration elapsed) {
    }

    private final String id;
    private final int cores;
    private final String workerMemory;
    private final Path projectDir;
    private final Path baseDir;
    private final Path sparkHome;
    private final Path logDir;
    private final List<String> daemonJavaFlags;
    /** Spark settings of the master and workers (-D flags), e.g. spark.authenticate for a secured cluster. */
    private final List<String> daemonSettings = new ArrayList<>();
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<String, Host> hosts = new ConcurrentSkipListMap<>(); // host name -> host
    /** Ids of the clusters this JVM holds: never probed by removeStale (closing a second channel on a lock file
     *  would release this JVM's lock on it). */
    private static final Set<String> OWN_IDS = ConcurrentHashMap.newKeySet();
    private final Thread shutdownHook = new Thread(this::teardown, "netns-cluster-teardown");
    private boolean closed;

    private static final class Host {
        final String name;
        final String namespace;
        final String veth;
        final String ip;
        Process process; // the Spark daemon (master, worker); null for the edge node
        Path log;

        Host(String name, String namespace, String veth, String ip) {
            this.name = name;
            this.namespace = namespace;
            this.veth = veth;
            this.ip = ip;
        }
    }

    // ---------------------------------------------------------------------------------------------- availability

    /** Why a cluster cannot be built here, or null when it can. */
    public static String unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"))
            return "network namespaces need Linux (os.name=" + System.getProperty("os.name") + ")";
        if (Boolean.getBoolean("latentdigits.netns.skip")) return "-Dlatentdigits.netns.skip=true";
        try {
            Result uid = exec(Duration.ofSeconds(10), "id", "-u");
            if (uid.exitCode() != 0 || !uid.output().trim().equals("0"))
                return "needs root to create network namespaces (uid " + uid.output().trim() + ")";
            for (String tool : List.of("ip", "unshare", "sh", "hostname")) {
                Result which = exec(Duration.ofSeconds(10), "sh", "-c", "command -v " + tool);
                if (which.exitCode() != 0) return "'" + tool + "' not found on PATH (ip: iproute2, unshare: util-linux)";
            }
            String probe = PREFIX + "-probe-" + ProcessHandle.current().pid();
            Result add = exec(Duration.ofSeconds(20), "ip", "netns", "add", probe);
            exec(Duration.ofSeconds(20), "ip", "netns", "del", probe);
            if (add.exitCode() != 0) return "'ip netns add' fails here: " + add.output().trim();
            Result bridge = exec(Duration.ofSeconds(20), "ip", "link", "add", probe.substring(0, Math.min(15, probe.length())), "type", "bridge");
            exec(Duration.ofSeconds(20), "ip", "link", "del", probe.substring(0, Math.min(15, probe.length())));
            if (bridge.exitCode() != 0) return "cannot create a bridge here: " + bridge.output().trim();
        } catch (IOException e) {
            return "cannot run the network tools: " + e;
        }
        return null;
    }

    /** Skips the calling test (JUnit Assumptions) when no cluster can be built here, saying why. */
    public static void assumeAvailable() {
        String reason = unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "no network-namespace Spark cluster: " + reason);
    }

    // ---------------------------------------------------------------------------------------------- life cycle

    /** A cluster of {@code workers} workers with {@code cores} cores each, for the project checked out in the working directory. */
    public static NetnsCluster start(int workers, int cores) throws IOException {
        return start(workers, cores, "6g", Path.of(System.getProperty("latentdigits.project.dir", ".")));
    }

    /** A cluster whose master and workers run with these Spark settings (e.g. spark.authenticate and its secret). */
    public static NetnsCluster start(int workers, int cores, Map<String, String> daemonSettings) throws IOException {
        return start(workers, cores, "6g", Path.of(System.getProperty("latentdigits.project.dir", ".")), daemonSettings);
    }

    public static NetnsCluster start(int workers, int cores, String workerMemory, Path projectDir) throws IOException {
        return start(workers, cores, workerMemory, projectDir, Map.of());
    }

    public static NetnsCluster start(int workers, int cores, String workerMemory, Path projectDir, Map<String, String> daemonSettings)
            throws IOException {
        assumeAvailable();
        removeStale();
        NetnsCluster cluster = new NetnsCluster(cores, workerMemory, projectDir.toAbsolutePath().normalize());
        daemonSettings.forEach((k, v) -> cluster.daemonSettings.add("-D" + k + "=" + v));
        try {
            cluster.build(workers);
            return cluster;
        } catch (IOException | RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private NetnsCluster(int cores, String workerMemory, Path projectDir) throws IOException {
        this.cores = cores;
        this.workerMemory = workerMemory;
        this.projectDir = projectDir;
        Files.createDirectories(LOCK_DIR);
        String candidate;
        FileChannel channel;
        FileLock held;
        while (true) { // an id no other cluster (live or stale) uses
            candidate = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
            Path lockFile = LOCK_DIR.resolve(candidate + ".lock");
            if (OWN_IDS.contains(candidate) || Files.exists(lockFile)
                    || Files.exists(Path.of("/run/netns", PREFIX + "-" + candidate + "-m"))) continue;
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            held = channel.lock();
            channel.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
            break;
        }
        this.id = candidate;
        OWN_IDS.add(candidate);
        this.lockChannel = channel;
        this.lock = held;
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        this.baseDir = Files.createTempDirectory(PREFIX + "-" + id + "-");
        this.sparkHome = Files.createDirectories(baseDir.resolve("sparkhome"));
        this.logDir = Files.createDirectories(baseDir.resolve("logs"));
        this.daemonJavaFlags = daemonJavaFlags(projectDir);
    }

    private void build(int workers) throws IOException {
        linkSparkJars();
        run("ip", "link", "add", PREFIX + id + "br", "type", "bridge");
        run("ip", "link", "set", PREFIX + id + "br", "up");
        Host master = addHost(MASTER_HOST, "m", SUBNET + ".1");
        addHost(EDGE_HOST, "e", SUBNET + ".10");
        for (int i = 1; i <= workers; i++) addHost(workerName(i), "w" + i, workerIp(i));
        writeHostsFiles();
        for (Host h : hosts.values()) createNamespace(h);

        master.log = logDir.resolve("master.log");
        master.process = launch(master, List.of("org.apache.spark.deploy.master.Master",
                "--host", MASTER_HOST, "--port", "7077", "--webui-port", "8080"), master.log);
        awaitLog(master, "I have been elected leader", REGISTRATION_TIMEOUT);
        for (int i = 1; i <= workers; i++) startWorker(i);
        for (int i = 1; i <= workers; i++) awaitRegistered(i);
    }

    public String id() {
        return id;
    }

    public String masterUrl() {
        return "spark://" + MASTER_HOST + ":7077";
    }

    /** Master and worker logs (executors' stdout/stderr are under work/). */
    public Path logDir() {
        return logDir;
    }

    /** The current log of worker i (a replacement host has its own). */
    public Path workerLog(int i) {
        return hosts.get(workerName(i)).log;
    }

    public Path workDir(int worker) {
        return baseDir.resolve("work" + worker);
    }

    public static String workerName(int i) {
        return "ld-worker" + i;
    }

    private static String workerIp(int i) {
        if (i < 1 || i > 200) throw new IllegalArgumentException("worker index 1..200: " + i);
        return SUBNET + "." + (10 + i);
    }

    // ---------------------------------------------------------------------------------------------- hosts

    private Host addHost(String name, String role, String ip) {
        Host h = new Host(name, PREFIX + "-" + id + "-" + role, PREFIX + id + role, ip);
        hosts.put(name, h);
        return h;
    }

    /**
     * One hosts file for all: rewritten in place (same inode), because {@code ip netns exec} bind-mounts the file and a
     * running namespace would keep seeing the old one if it were replaced by a rename.
     */
    private void writeHostsFiles() throws IOException {
        StringBuilder text = new StringBuilder("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
        for (Host h : hosts.values()) text.append(h.ip).append(' ').append(h.name).append('\n');
        for (Host h : hosts.values()) {
            Path dir = Files.createDirectories(ETC_NETNS.resolve(h.namespace));
            Files.writeString(dir.resolve("hosts"), text); // CREATE, TRUNCATE_EXISTING, WRITE: same inode
        }
    }

    private void createNamespace(Host h) throws IOException {
        run("ip", "netns", "add", h.namespace);
        run("ip", "link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.namespace);
        run("ip", "link", "set", h.veth, "master", PREFIX + id + "br", "up");
        run("ip", "-n", h.namespace, "addr", "add", h.ip + "/24", "dev", "eth0");
        run("ip", "-n", h.namespace, "link", "set", "eth0", "up");
        run("ip", "-n", h.namespace, "link", "set", "lo", "up");
    }

    /** The command prefix that runs argv in host h's namespace under its own host name. */
    private static List<String> inHost(Host h, List<String> argv) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", h.namespace, "unshare", "--uts",
                "sh", "-c", "hostname " + h.name + " && exec \"$@\"", "-"));
        cmd.addAll(argv);
        return cmd;
    }

    // ---------------------------------------------------------------------------------------------- Spark daemons

    private void linkSparkJars() throws IOException {
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        Path classpathFile = projectDir.resolve("target/classpath.txt");
        String classpath = Files.exists(classpathFile) ? Files.readString(classpathFile).trim()
                : System.getProperty("java.class.path"); // surefire puts the test classpath here
        Set<String> seen = new HashSet<>();
        int linked = 0;
        for (String entry : classpath.split(java.io.File.pathSeparator)) {
            if (!entry.endsWith(".jar") || NOT_ON_SPARK_CLASSPATH.matcher(entry).find()) continue;
            Path jar = Path.of(entry);
            if (!Files.isRegularFile(jar) || !seen.add(jar.getFileName().toString())) continue;
            Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar.toAbsolutePath());
            linked++;
        }
        if (!seen.stream().anyMatch(n -> n.startsWith("spark-core_")))
            throw new IllegalStateException("no spark-core jar on " + (Files.exists(classpathFile) ? classpathFile : "the test classpath")
                    + " (" + linked + " jars linked); run mvn package first");
    }

    /** Java 17 openings etc. for Master and Worker: the project's driver flags (conf/spark-defaults.conf). */
    private static List<String> daemonJavaFlags(Path projectDir) throws IOException {
        List<String> flags = new ArrayList<>();
        Path conf = projectDir.resolve("conf/spark-defaults.conf");
        if (Files.exists(conf)) {
            for (String line : Files.readAllLines(conf)) {
                if (line.startsWith("spark.driver.extraJavaOptions"))
                    flags.addAll(Arrays.asList(line.substring("spark.driver.extraJavaOptions".length()).trim().split("\\s+")));
            }
        }
        flags.removeIf(f -> f.startsWith("-Xmn") || f.startsWith("-Xmx"));
        flags.add("-Xmx512m");
        return flags;
    }

    private Process launch(Host h, List<String> sparkArgs, Path log) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(daemonJavaFlags);
        argv.addAll(daemonSettings);
        argv.add("-cp");
        argv.add(sparkHome.resolve("jars") + "/*");
        argv.addAll(sparkArgs);
        ProcessBuilder pb = new ProcessBuilder(inHost(h, argv)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).directory(baseDir.toFile());
        Map<String, String> env = pb.environment();
        for (String v : List.of("SPARK_LOCAL_IP", "SPARK_LOCAL_HOSTNAME", "SPARK_PUBLIC_DNS", "SPARK_MASTER_HOST", "SPARK_CONF_DIR"))
            env.remove(v);
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    private void startWorker(int i) throws IOException {
        Host w = hosts.get(workerName(i));
        Files.createDirectories(workDir(i));
        Path log = logDir.resolve("worker" + i + ".log"); // a replacement host (addWorker) logs to worker<I>.<N>.log
        for (int n = 2; Files.exists(log); n++) log = logDir.resolve("worker" + i + "." + n + ".log");
        w.log = log;
        w.process = launch(w, List.of("org.apache.spark.deploy.worker.Worker", masterUrl(),
                "--host", w.name, "--cores", Integer.toString(cores), "--memory", workerMemory,
                "--webui-port", "8081", "--work-dir", workDir(i).toString()), w.log);
    }

    private void awaitRegistered(int i) throws IOException {
        Host w = hosts.get(workerName(i));
        awaitLog(w, "Successfully registered with master", REGISTRATION_TIMEOUT);
    }

    private static void awaitLog(Host h, String text, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(h.log) && Files.readString(h.log).contains(text)) return;
            if (!h.process.isAlive()) throw new IllegalStateException(h.name + " died (exit " + h.process.exitValue() + "):\n" + tail(h.log));
            sleep(200);
        }
        throw new IllegalStateException(h.name + ": no '" + text + "' within " + timeout + "; log " + h.log + ":\n" + tail(h.log));
    }

    /** SIGKILLs worker i and its executors: every process in its namespace, as when the host is lost. */
    public void killWorker(int i) {
        Host w = hosts.get(workerName(i));
        if (w == null) throw new IllegalArgumentException("no worker " + i);
        killAll(w.namespace);
    }

    /** A replacement host for worker i (after {@link #killWorker}), or a new worker i: new namespace, same name and address. */
    public synchronized void addWorker(int i) throws IOException {
        String name = workerName(i);
        Host old = hosts.get(name);
        if (old != null) {
            if (old.process != null && old.process.isAlive()) throw new IllegalStateException(name + " is still running");
            removeNamespace(old.namespace, old.veth);
            hosts.remove(name);
        }
        Host w = addHost(name, "w" + i, workerIp(i));
        writeHostsFiles();
        createNamespace(w);
        startWorker(i);
        awaitRegistered(i);
    }

    // ---------------------------------------------------------------------------------------------- commands on hosts

    /** A command started on a host: its output goes to {@link #log()} as it comes. */
    public record Run(Path log, java.util.concurrent.CompletableFuture<Result> result) {
        public Result await() throws IOException {
            try {
                return result.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }

        public String outputSoFar() throws IOException {
            return Files.exists(log) ? Files.readString(log) : "";
        }
    }

    /** Runs argv on the edge node (host name ld-driver) in the project directory, output merged; killed after timeout. */
    public Result onEdge(Duration timeout, List<String> argv) throws IOException {
        return onEdge(timeout, Map.of(), argv);
    }

    /** As {@link #onEdge(Duration, List)}; env entries with a null value are removed from the environment. */
    public Result onEdge(Duration timeout, Map<String, String> env, List<String> argv) throws IOException {
        return startOn(EDGE_HOST, timeout, env, argv).await();
    }

    /** Starts argv on a host (ld-driver, ld-master, ld-workerI) in the project directory; see {@link #onEdge}. */
    public Run startOn(String hostName, Duration timeout, Map<String, String> env, List<String> argv) throws IOException {
        Host h = hosts.get(hostName);
        if (h == null) throw new IllegalArgumentException("no host " + hostName + " (hosts: " + hosts.keySet() + ")");
        ProcessBuilder pb = new ProcessBuilder(inHost(h, argv)).redirectErrorStream(true).directory(projectDir.toFile());
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        Path log = logDir.resolve(hostName + "-" + RUNS.incrementAndGet() + ".log");
        java.util.concurrent.CompletableFuture<Result> result = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                Result r = exec(pb, timeout, log);
                if (r.timedOut() && hostName.equals(EDGE_HOST)) killAll(h.namespace); // whatever it left behind
                result.complete(r);
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "netns-run-" + hostName);
        t.setDaemon(true);
        t.start();
        return new Run(log, result);
    }

    private static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

    /** The TCP sockets listening on a host, as "address:port" (ss -ltn in its namespace). */
    public List<String> listening(String hostName) throws IOException {
        Host h = hosts.get(hostName);
        if (h == null) throw new IllegalArgumentException("no host " + hostName + " (hosts: " + hosts.keySet() + ")");
        Result r = exec(Duration.ofSeconds(10), "ip", "netns", "exec", h.namespace, "ss", "-ltnH");
        List<String> sockets = new ArrayList<>();
        for (String line : r.output().split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 4) sockets.add(fields[3]);
        }
        return sockets;
    }

    // ---------------------------------------------------------------------------------------------- teardown

    @Override
    public synchronized void close() {
        if (closed) return;
        teardown();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // close() from another shutdown hook: ours runs (or ran) anyway
        }
    }

    private synchronized void teardown() {
        if (closed) return;
        closed = true;
        for (Host h : hosts.values()) killAll(h.namespace);
        for (Host h : hosts.values()) removeNamespace(h.namespace, h.veth);
        quiet("ip", "link", "del", PREFIX + id + "br");
        if (listNames(ETC_NETNS).isEmpty()) quiet("rmdir", ETC_NETNS.toString()); // no one else uses it
        removeBulk(baseDir);
        try {
            lock.release();
            lockChannel.close();
            Files.deleteIfExists(LOCK_DIR.resolve(id + ".lock"));
        } catch (IOException ignored) {
            // the lock goes with the JVM anyway
        }
        OWN_IDS.remove(id);
    }

    /** The app jars Spark copies into each executor's work directory (hundreds of MB) and the linked SPARK_HOME; logs stay. */
    private static void removeBulk(Path base) {
        try (Stream<Path> files = Files.walk(base)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                if (p.startsWith(base.resolve("sparkhome")) || p.toString().endsWith(".jar")) Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: a temp directory
        }
    }

    private static void removeNamespace(String ns, String veth) {
        killAll(ns);
        quiet("ip", "link", "del", veth); // deleting one end deletes the pair; gone already when the namespace went
        quiet("ip", "netns", "del", ns);
        deleteTree(ETC_NETNS.resolve(ns));
    }

    /** SIGKILL every process in a namespace, children before parents (so a parent reaps its children), and wait for them. */
    private static void killAll(String ns) {
        for (int attempt = 0; attempt < 20; attempt++) {
            List<ProcessHandle> procs = pidsIn(ns).stream().map(ProcessHandle::of).flatMap(java.util.Optional::stream)
                    .collect(Collectors.toList());
            if (procs.isEmpty()) return;
            procs.sort(Comparator.comparingLong(p -> -depth(p))); // deepest first
            procs.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle p : procs) {
                try {
                    p.onExit().get(5, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // looked at again next attempt
                }
            }
        }
    }

    private static int depth(ProcessHandle p) {
        int d = 0;
        for (var parent = p.parent(); parent.isPresent() && d < 64; parent = parent.get().parent()) d++;
        return d;
    }

    private static List<Long> pidsIn(String ns) {
        try {
            Result r = exec(Duration.ofSeconds(20), "ip", "netns", "pids", ns);
            if (r.exitCode() != 0) return List.of();
            return r.output().lines().map(String::trim).filter(s -> s.matches("\\d+")).map(Long::parseLong).collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Removes what crashed runs left: clusters whose lock file no live process holds. */
    public static void removeStale() {
        Map<String, Set<String>> namespaces = new HashMap<>();
        Map<String, Set<String>> links = new HashMap<>();
        Set<String> ids = new TreeSet<>();
        try {
            for (String line : exec(Duration.ofSeconds(20), "ip", "netns", "list").output().lines().collect(Collectors.toList())) {
                Matcher m = NS_NAME.matcher(line.split("\\s+")[0]);
                if (m.matches()) namespaces.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group());
            }
            for (String line : exec(Duration.ofSeconds(20), "ip", "-o", "link", "show").output().lines().collect(Collectors.toList())) {
                String[] parts = line.split(":\\s+", 3);
                if (parts.length < 2) continue;
                Matcher m = LINK_NAME.matcher(parts[1].split("@")[0]);
                if (m.matches()) links.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group());
            }
        } catch (IOException e) {
            return;
        }
        ids.addAll(namespaces.keySet());
        ids.addAll(links.keySet());
        listNames(ETC_NETNS).stream().map(NS_NAME::matcher).filter(Matcher::matches).forEach(m -> ids.add(m.group(1)));
        listNames(LOCK_DIR).stream().filter(n -> n.matches("[0-9a-f]{6}\\.lock")).forEach(n -> ids.add(n.substring(0, 6)));
        for (String stale : ids) {
            if (OWN_IDS.contains(stale)) continue;
            Path lockFile = LOCK_DIR.resolve(stale + ".lock");
            try {
                Files.createDirectories(LOCK_DIR);
                try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock held = ch.tryLock()) {
                    if (held == null) continue; // a live cluster in another JVM
                    for (String ns : namespaces.getOrDefault(stale, Set.of())) killAll(ns);
                    for (String ns : namespaces.getOrDefault(stale, Set.of())) quiet("ip", "netns", "del", ns);
                    for (String link : links.getOrDefault(stale, Set.of())) quiet("ip", "link", "del", link);
                    for (String dir : listNames(ETC_NETNS)) if (dir.startsWith(PREFIX + "-" + stale + "-")) deleteTree(ETC_NETNS.resolve(dir));
                    for (String dir : listNames(Path.of(System.getProperty("java.io.tmpdir"))))
                        if (dir.startsWith(PREFIX + "-" + stale + "-")) removeBulk(Path.of(System.getProperty("java.io.tmpdir"), dir));
                    System.err.println("NetnsCluster: removed the leftovers of cluster " + stale + " (a run that did not tear down)");
                    Files.deleteIfExists(lockFile);
                }
            } catch (OverlappingFileLockException live) {
                // a live cluster in this JVM
            } catch (IOException e) {
                System.err.println("NetnsCluster: could not clean up cluster " + stale + ": " + e);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static List<String> listNames(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void run(String... argv) throws IOException {
        Result r = exec(Duration.ofSeconds(30), argv);
        if (r.exitCode() != 0) throw new IOException(String.join(" ", argv) + " failed (" + r.exitCode() + "): " + r.output().trim());
    }

    private static void quiet(String... argv) {
        try {
            exec(Duration.ofSeconds(30), argv);
        } catch (IOException ignored) {
            // teardown: best effort
        }
    }

    private static Result exec(Duration timeout, String... argv) throws IOException {
        return exec(new ProcessBuilder(argv).redirectErrorStream(true), timeout, null);
    }

    /** Runs to the end or the timeout (then SIGKILLs the process and its descendants); output read as it comes. */
    private static Result exec(ProcessBuilder pb, Duration timeout, Path tee) throws IOException {
        long start = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.OutputStream teeOut = tee == null ? java.io.OutputStream.nullOutputStream() : Files.newOutputStream(tee);
        Thread reader = new Thread(() -> {
            try (var in = p.getInputStream(); teeOut) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (out) {
                        out.write(buf, 0, n);
                    }
                    teeOut.write(buf, 0, n);
                    teeOut.flush();
                }
            } catch (IOException ignored) {
                // the process was killed
            }
        });
        reader.setDaemon(true);
        reader.start();
        boolean finished;
        try {
            finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            reader.join(5_000);
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + pb.command(), e);
        }
        String output;
        synchronized (out) {
            output = out.toString(StandardCharsets.UTF_8);
        }
        return new Result(finished ? p.exitValue() : -1, !finished, output, Duration.ofNanos(System.nanoTime() - start));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
