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

    /** The middle value (the mean of the two middle ones for an even count); the list is not changed. */
    public static double median(java.util.List<Double> values) {
        java.util.List<Double> sorted = new java.util.ArrayList<>(values);
        sorted.sort(Double::compare);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
