package latentdigits.util;

/**
 * A job that cannot go on for a reason it can name in one line (a cluster without executors, a stage that failed
 * more often than allowed): printed without a stack trace, exit code 1.
 */
public class JobFailure extends RuntimeException {
    public JobFailure(String message) {
        super(message);
    }

    public JobFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
