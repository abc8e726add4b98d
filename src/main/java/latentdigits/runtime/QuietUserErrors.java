package latentdigits.runtime;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.filter.AbstractFilter;

import java.util.List;
import java.util.function.Predicate;

/**
 * When a task fails on a user's mistake (a corrupt image, a bad flag), Spark's own loggers print the failure with
 * stack traces several times over (the executor, the task set, the writer) before the job ends with its one line:
 * this filter drops those records on the driver, so the user sees the one line. Executors on a cluster keep the full
 * trace in their logs.
 */
public final class QuietUserErrors extends AbstractFilter {
    private final Predicate<Throwable> userError;
    private final List<String> names;
    /** After a user's error: the scheduler's and the writer's "aborting job" lines that follow it say nothing more. */
    private volatile boolean seen;

    private QuietUserErrors(Predicate<Throwable> userError, List<String> names) {
        super(Filter.Result.DENY, Filter.Result.NEUTRAL);
        this.userError = userError;
        this.names = names;
    }

    /** Installs the filter on the root logger of this JVM's Log4j 2 (Spark's); a no-op under another logging backend. */
    public static synchronized void install(Predicate<Throwable> userError, List<Class<?>> types) {
        if (!(LogManager.getContext(false) instanceof LoggerContext context)) return;
        if (installed != null) {
            installed.seen = false;
            return;
        }
        installed = new QuietUserErrors(userError, types.stream().map(Class::getName).toList());
        context.getConfiguration().getRootLogger().addFilter(installed);
        context.updateLoggers();
    }

    private static QuietUserErrors installed;

    /**
     * Loggers whose lines after a user's error only echo the abort: the scheduler, the writer, and the write-stats
     * tracker of a sibling task whose file the aborted job already deleted ("Expected 1 files, but only saw 0").
     */
    private static final List<String> AFTERMATH = List.of(".TaskSetManager", ".FileFormatWriter", ".BasicWriteTaskStatsTracker");

    @Override
    public Filter.Result filter(LogEvent event) {
        for (Throwable t = event.getThrown(); t != null; t = t.getCause()) if (userError.test(t)) return matched();
        String message = event.getMessage() == null ? null : event.getMessage().getFormattedMessage();
        if (message != null) for (String name : names) if (message.contains(name)) return matched(); // "Lost task ...: <exception>"
        String logger = event.getLoggerName() == null ? "" : event.getLoggerName();
        if (seen && event.getThrown() == null && AFTERMATH.stream().anyMatch(logger::endsWith)) return onMatch;
        return onMismatch;
    }

    private Filter.Result matched() {
        seen = true;
        return onMatch;
    }
}
