package latentdigits.util;

/** A mistake in how a job was called (a flag, a path, a missing tool): printed as one line, exit code 2, no stack trace. */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }
}
