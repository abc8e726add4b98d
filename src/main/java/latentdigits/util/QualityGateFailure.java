package latentdigits.util;

/** A model that trained fine but misses a quality bar it was asked to meet (publish's gate): exit code 4. */
public class QualityGateFailure extends RuntimeException {
    public QualityGateFailure(String message) {
        super(message);
    }
}
