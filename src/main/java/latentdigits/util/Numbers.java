package latentdigits.util;

/** How numbers are printed in metrics and summaries. */
public final class Numbers {
    private Numbers() {
    }

    /** {@code value} rounded half up to {@code digits} decimals (the form every JSON output of the project uses). */
    public static double round(double value, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }
}
