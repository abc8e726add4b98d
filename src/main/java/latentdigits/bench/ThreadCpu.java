package latentdigits.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of every thread of this JVM, by role, read from /proc (Linux only; elsewhere a snapshot is empty). The
 * benchmark reports it because it bounds the local[2] / one-JVM ratio: in one JVM the compiler, collector and
 * native-memory threads run on the second, otherwise idle core, while in local[2] both cores train and every second
 * those threads run is taken from a task — and the other task, meeting it after every minibatch, waits as long
 * (docs/experiments/speed.md).
 */
final class ThreadCpu {
    enum Role {
        /** Executor task threads, and the main thread (the one-JVM training loop; on Spark, the waiting driver). */
        TRAINING("training"),
        JIT("jit_compiler"),
        /** Stop-the-world and concurrent collector threads, and the VM thread that runs the safepoints. */
        GC("garbage_collector"),
        /** ND4J's and JavaCPP's deallocator threads, which free the native buffers of collected arrays. */
        NATIVE_RELEASE("native_release"),
        OTHER("other");

        final String key;

        Role(String key) {
            this.key = key;
        }
    }

    private static final Path TASKS = Path.of("/proc/self/task");
    /** USER_HZ, the unit of /proc/.../stat's times; 100 on every Linux this runs on. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    /** By thread id (the /proc/self/task entry). */
    private final Map<String, Sample> threads;

    /** One thread's name and CPU time at the snapshot. */
    private record Sample(String name, long cpuNanos) {
    }

    private ThreadCpu(Map<String, Sample> threads) {
        this.threads = threads;
    }

    /** Linux thread names are the first 15 bytes of the Java (or HotSpot) thread name. */
    static Role role(String name) {
        if (name.startsWith("Executor task") || name.equals("java") || name.equals("main")) return Role.TRAINING;
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) return Role.JIT;
        if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread")) return Role.GC;
        if (name.startsWith("DeallocatorServ") || name.startsWith("JavaCPP Dealloc")) return Role.NATIVE_RELEASE;
        return Role.OTHER;
    }

    static ThreadCpu snapshot() {
        Map<String, Sample> threads = new HashMap<>();
        if (!Files.isDirectory(TASKS)) return new ThreadCpu(threads);
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    threads.put(task.getFileName().toString(), new Sample(name, cpuNanos(task)));
                } catch (IOException | RuntimeException exited) {
                    // the thread ended while being read: it counts from the next snapshot on, like any new thread
                }
            }
        } catch (IOException e) {
            return new ThreadCpu(Map.of());
        }
        return new ThreadCpu(threads);
    }

    /** schedstat's first field is nanoseconds on a CPU; stat's utime + stime (in ticks) where schedstats are off. */
    private static long cpuNanos(Path task) throws IOException {
        Path schedstat = task.resolve("schedstat");
        if (Files.isReadable(schedstat)) {
            String text = Files.readString(schedstat).strip();
            if (!text.isEmpty()) return Long.parseLong(text.split("\\s+")[0]);
        }
        String stat = Files.readString(task.resolve("stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // the name may hold spaces and ')'
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
    }

    /**
     * CPU seconds each role used from {@code earlier} to this snapshot (threads that ended in between are missing;
     * threads started in between count in full).
     */
    Map<Role, Double> secondsSince(ThreadCpu earlier) {
        Map<Role, Double> seconds = new EnumMap<>(Role.class);
        for (Role role : Role.values()) seconds.put(role, 0.0);
        threads.forEach((id, now) -> {
            Sample before = earlier.threads.get(id);
            boolean same = before != null && before.name().equals(now.name()); // not a reused thread id
            long nanos = now.cpuNanos() - (same ? before.cpuNanos() : 0);
            seconds.merge(role(now.name()), nanos / 1e9, Double::sum);
        });
        return seconds;
    }

    boolean available() {
        return !threads.isEmpty();
    }
}
