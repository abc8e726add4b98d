package latentdigits.train;

/** A loss became NaN or infinite: training stops, the last good checkpoint is kept. */
public class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
