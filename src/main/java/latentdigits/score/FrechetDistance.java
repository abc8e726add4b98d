package latentdigits.score;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Fréchet distance between two sets of feature vectors, each summarised as a Gaussian (mean, covariance):
 * |m1 - m2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)), the FID recipe with our own classifier's features.
 * tr((S1 S2)^(1/2)) is computed as the sum of square roots of the eigenvalues of S1^(1/2) S2 S1^(1/2), which is
 * symmetric and has the same eigenvalues as S1 S2.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /** Mean and covariance (divided by n - 1) of the rows of {@code features}. */
    public record Gaussian(double[] mean, double[][] covariance) {
        public static Gaussian of(double[][] features) {
            int n = features.length, d = features[0].length;
            if (n < 2) throw new IllegalArgumentException("Fréchet distance: need at least 2 feature vectors, found " + n);
            double[] mean = new double[d];
            for (double[] row : features) for (int j = 0; j < d; j++) mean[j] += row[j] / n;
            double[][] cov = new double[d][d];
            for (double[] row : features)
                for (int i = 0; i < d; i++) {
                    double di = row[i] - mean[i];
                    for (int j = i; j < d; j++) cov[i][j] += di * (row[j] - mean[j]);
                }
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++) cov[j][i] = cov[i][j] /= (n - 1);
            return new Gaussian(mean, cov);
        }
    }

    public static double between(Gaussian a, Gaussian b) {
        double meanTerm = 0;
        for (int i = 0; i < a.mean.length; i++) meanTerm += (a.mean[i] - b.mean[i]) * (a.mean[i] - b.mean[i]);
        RealMatrix s1 = new Array2DRowRealMatrix(a.covariance), s2 = new Array2DRowRealMatrix(b.covariance);
        RealMatrix root1 = symmetricSqrt(s1);
        RealMatrix middle = root1.multiply(s2).multiply(root1);
        middle = middle.add(middle.transpose()).scalarMultiply(0.5); // symmetric up to rounding
        double traceOfRoot = 0;
        for (double eigenvalue : new EigenDecomposition(middle).getRealEigenvalues()) traceOfRoot += Math.sqrt(Math.max(0, eigenvalue));
        return Math.max(0, meanTerm + s1.getTrace() + s2.getTrace() - 2 * traceOfRoot);
    }

    private static RealMatrix symmetricSqrt(RealMatrix m) {
        EigenDecomposition e = new EigenDecomposition(m);
        double[] values = e.getRealEigenvalues();
        RealMatrix v = e.getV();
        RealMatrix scaled = v.copy();
        for (int j = 0; j < values.length; j++) {
            double root = Math.sqrt(Math.max(0, values[j]));
            for (int i = 0; i < values.length; i++) scaled.setEntry(i, j, v.getEntry(i, j) * root);
        }
        return scaled.multiply(v.transpose());
    }
}
