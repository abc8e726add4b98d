package latentdigits.encode;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NearestNeighboursTest {
    @Test
    void agreesWithBruteForceOnRandomClusters() {
        Random random = new Random(5);
        int n = 3000;
        float[][] points = new float[n][2];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(10);
            points[i][0] = (float) (labels[i] % 4 + random.nextGaussian() * 0.8);
            points[i][1] = (float) (labels[i] / 4 + random.nextGaussian() * 0.8);
        }
        NearestNeighbours knn = new NearestNeighbours(points, labels, 5);
        for (int q = 0; q < 500; q++) {
            float[] query = {(float) (random.nextDouble() * 5 - 1), (float) (random.nextDouble() * 4 - 1)};
            assertEquals(bruteForce(points, labels, query, 5), knn.classify(query), "query " + Arrays.toString(query));
        }
    }

    @Test
    void majorityOfTheFiveNearestWins() {
        float[][] points = {{0, 0}, {0.1f, 0}, {0.2f, 0}, {5, 5}, {5.1f, 5}, {0.3f, 0}, {9, 9}};
        int[] labels = {3, 3, 7, 1, 1, 3, 2};
        assertEquals(3, new NearestNeighbours(points, labels, 5).classify(new float[]{0.05f, 0}));
        assertEquals(3, new NearestNeighbours(points, labels, 1).classify(new float[]{-1f, 0}));
    }

    static int bruteForce(float[][] points, int[] labels, float[] q, int k) {
        Integer[] order = IntStream.range(0, points.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> Math.pow(points[i][0] - q[0], 2) + Math.pow(points[i][1] - q[1], 2)));
        int[] votes = new int[10];
        for (int i = 0; i < k; i++) votes[labels[order[i]]]++;
        int winner = labels[order[0]];
        for (int i = 0; i < k; i++) if (votes[labels[order[i]]] > votes[winner]) winner = labels[order[i]];
        return winner;
    }
}
