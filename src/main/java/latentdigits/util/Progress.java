package latentdigits.util;

import java.io.PrintStream;

/**
 * Progress of a long step on the terminal: "sample: 40,000/100,000 images (40%), 3.1 s". On a terminal the line is
 * rewritten in place at most every half second; in a log (no terminal: a scheduler's task) a line is printed at most
 * every 15 s. Nothing is printed for a step that ends within 2 s.
 */
public final class Progress {
    private final String job, unit;
    private long total;
    private final long start = System.nanoTime();
    private final boolean terminal = System.console() != null;
    private final PrintStream out = System.err;
    private long done, lastPrinted = start;
    private boolean printed;

    public Progress(String job, String unit, long total) {
        this.job = job;
        this.unit = unit;
        this.total = total;
    }

    /** For work whose size is learnt as it goes (a Spark job's stages). */
    public synchronized void addToTotal(long count) {
        total += count;
    }

    public synchronized void advance(long count) {
        done += count;
        long now = System.nanoTime();
        if (now - start < 2_000_000_000L || now - lastPrinted < (terminal ? 500_000_000L : 15_000_000_000L)) return;
        print(now);
    }

    /** The final count, when progress was shown at all (a step that ended quickly stays silent). */
    public synchronized void finish() {
        if (printed) print(System.nanoTime());
        if (printed && terminal) out.println();
    }

    private void print(long now) {
        lastPrinted = now;
        printed = true;
        String line = String.format("%s: %,d/%,d %s (%d%%), %.1f s", job, done, total, unit, total == 0 ? 100 : done * 100 / total, (now - start) / 1e9);
        if (terminal) out.print("\r" + line);
        else out.println(line);
        out.flush();
    }
}
