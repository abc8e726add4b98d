package latentdigits.encode;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;

/**
 * k-nearest-neighbour digit classifier in latent space. Reference points are sorted by their first coordinate, and a
 * query walks outwards from its own position until the gap in that coordinate alone exceeds the k-th best distance:
 * exact, and close to O(sqrt n) per query in two dimensions, so a million queries against 60,000 points stay cheap.
 */
public final class NearestNeighbours implements Serializable {
    private final float[][] points;
    private final int[] labels;
    private final float[] firstCoordinate;
    private final int k;

    public NearestNeighbours(float[][] points, int[] labels, int k) {
        if (points.length < k) throw new IllegalArgumentException("kNN: expected at least " + k + " reference points, found " + points.length);
        Integer[] order = new Integer[points.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> points[i][0]));
        this.points = new float[points.length][];
        this.labels = new int[points.length];
        this.firstCoordinate = new float[points.length];
        for (int i = 0; i < order.length; i++) {
            this.points[i] = points[order[i]];
            this.labels[i] = labels[order[i]];
            this.firstCoordinate[i] = this.points[i][0];
        }
        this.k = k;
    }

    public int size() {
        return points.length;
    }

    /** Majority label of the k nearest reference points; ties go to the label of the nearest among the tied. */
    public int classify(float[] query) {
        double[] bestDist = new double[k];
        int[] bestLabel = new int[k];
        Arrays.fill(bestDist, Double.POSITIVE_INFINITY);
        int start = Arrays.binarySearch(firstCoordinate, query[0]);
        if (start < 0) start = -start - 1;
        int lo = start - 1, hi = start;
        while (lo >= 0 || hi < points.length) {
            double gapLo = lo >= 0 ? sq(query[0] - firstCoordinate[lo]) : Double.POSITIVE_INFINITY;
            double gapHi = hi < points.length ? sq(firstCoordinate[hi] - query[0]) : Double.POSITIVE_INFINITY;
            int next;
            if (gapLo <= gapHi) {
                if (gapLo > bestDist[k - 1]) break;
                next = lo--;
            } else {
                if (gapHi > bestDist[k - 1]) break;
                next = hi++;
            }
            double d = distance(query, points[next]);
            if (d < bestDist[k - 1]) insert(bestDist, bestLabel, d, labels[next]);
        }
        int[] votes = new int[10];
        for (int label : bestLabel) votes[label]++;
        int winner = bestLabel[0];
        for (int i = 0; i < k; i++) if (votes[bestLabel[i]] > votes[winner]) winner = bestLabel[i];
        return winner;
    }

    private static void insert(double[] dist, int[] label, double d, int l) {
        int i = dist.length - 1;
        while (i > 0 && dist[i - 1] > d) {
            dist[i] = dist[i - 1];
            label[i] = label[i - 1];
            i--;
        }
        dist[i] = d;
        label[i] = l;
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += sq(a[i] - b[i]);
        return s;
    }

    private static double sq(double v) {
        return v * v;
    }
}
