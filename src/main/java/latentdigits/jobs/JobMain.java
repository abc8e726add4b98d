package latentdigits.jobs;

import latentdigits.data.DataFileException;
import latentdigits.runtime.SparkRuntime;
import latentdigits.train.TrainingDivergedException;
import latentdigits.util.JobFailure;
import latentdigits.util.QualityGateFailure;
import latentdigits.util.UserError;
import org.apache.spark.sql.SparkSession;

/**
 * How every job starts and ends: parse flags (or print --help), run, and turn failures into one clear line.
 * Exit codes: 0 done, 2 bad input (flag, file, data), 3 training diverged, 4 a quality gate not met, 1 anything else
 * (one line when the job can say why, e.g. a cluster without executors; else with the stack trace).
 */
public final class JobMain {
    public interface Body {
        int run(Options.Args args) throws Exception;
    }

    public interface SparkBody {
        void run(SparkSession spark, Options.Args args) throws Exception;
    }

    private JobMain() {
    }

    /** A job that needs Spark: one session (embedded, or spark-submit's), stopped however the job ends. */
    public static void mainWithSpark(Options options, String[] args, SparkBody body) {
        main(options, args, a -> {
            SparkSession spark = SparkRuntime.session(options.job(), a.get("master"));
            try {
                body.run(spark, a);
                return 0;
            } finally {
                spark.stop();
            }
        });
    }

    public static void main(Options options, String[] args, Body body) {
        System.exit(execute(options, args, body));
    }

    public static int execute(Options options, String[] args, Body body) {
        latentdigits.runtime.QuietUserErrors.install(t -> userFacing(t) == t && !(t instanceof JobFailure),
                java.util.List.of(UserError.class, DataFileException.class));
        try {
            return body.run(options.parse(args));
        } catch (Options.HelpRequested h) {
            System.out.print(options.help());
            return 0;
        } catch (Throwable t) {
            Throwable cause = userFacing(t);
            if (cause instanceof TrainingDivergedException) {
                System.err.println(options.job() + ": error: " + cause.getMessage());
                return 3;
            }
            if (cause instanceof QualityGateFailure) {
                System.err.println(options.job() + ": quality gate: " + cause.getMessage());
                return 4;
            }
            if (cause instanceof JobFailure) {
                System.err.println(options.job() + ": failed: " + cause.getMessage());
                return 1;
            }
            if (cause != null) {
                System.err.println(options.job() + ": error: " + cause.getMessage());
                return 2;
            }
            t.printStackTrace();
            System.err.println(options.job() + ": failed: " + t);
            return 1;
        }
    }

    /** Spark wraps an executor's exception in its own; the first of ours in the chain is what the user needs. */
    static Throwable userFacing(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UserError || c instanceof DataFileException || c instanceof TrainingDivergedException || c instanceof JobFailure || c instanceof QualityGateFailure
                    || c instanceof IllegalArgumentException && c.getMessage() != null && c.getMessage().startsWith("--"))
                return c;
        }
        return null;
    }
}
