package latentdigits.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ThreadCpuTest {

    @Test
    void linuxThreadNamesMapToTheirRoles() {
        assertEquals(ThreadCpu.Role.TRAINING, ThreadCpu.role("Executor task l"));
        assertEquals(ThreadCpu.Role.TRAINING, ThreadCpu.role("java"));
        assertEquals(ThreadCpu.Role.JIT, ThreadCpu.role("C2 CompilerThre"));
        assertEquals(ThreadCpu.Role.JIT, ThreadCpu.role("C1 CompilerThre"));
        assertEquals(ThreadCpu.Role.GC, ThreadCpu.role("GC Thread#1"));
        assertEquals(ThreadCpu.Role.GC, ThreadCpu.role("G1 Conc#0"));
        assertEquals(ThreadCpu.Role.GC, ThreadCpu.role("VM Thread"));
        assertEquals(ThreadCpu.Role.NATIVE_RELEASE, ThreadCpu.role("DeallocatorServ"));
        assertEquals(ThreadCpu.Role.NATIVE_RELEASE, ThreadCpu.role("JavaCPP Dealloc"));
        assertEquals(ThreadCpu.Role.OTHER, ThreadCpu.role("dag-scheduler-e"));
    }

    @Test
    void aBusyThreadShowsUpUnderItsRole() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux /proc");
        // Java thread names reach the kernel (first 15 bytes), which is how the benchmark tells the roles apart
        Object done = new Object();
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        Thread alive = new Thread(() -> {
            // 0.3 s of this thread's own CPU time, however busy the machine is
            long until = cpu.getCurrentThreadCpuTime() + 300_000_000L;
            double x = 0;
            while (cpu.getCurrentThreadCpuTime() < until) for (int i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
            if (x < 0) System.out.println(x);
            synchronized (done) {
                try {
                    done.wait(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "bench-test-alive");
        ThreadCpu start = ThreadCpu.snapshot();
        assertTrue(start.available());
        alive.start();
        while (alive.getState() != Thread.State.TIMED_WAITING && alive.isAlive()) Thread.sleep(20); // done spinning
        Map<ThreadCpu.Role, Double> used = ThreadCpu.snapshot().secondsSince(start);
        synchronized (done) {
            done.notifyAll();
        }
        alive.join();
        assertTrue(used.get(ThreadCpu.Role.OTHER) >= 0.2, "a thread that spun for 0.3 s counts under OTHER: " + used);
        assertTrue(used.get(ThreadCpu.Role.OTHER) < 5, "no more than the wall time allows: " + used);
    }
}
