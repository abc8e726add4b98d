package latentdigits.distributed;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class TrainingShardsTest {
    @Test
    void validationSplitIsSeededAndOfTheRequestedSize() {
        boolean[] a = TrainingShards.validationMask(1000, 137, 42);
        boolean[] b = TrainingShards.validationMask(1000, 137, 42);
        boolean[] c = TrainingShards.validationMask(1000, 137, 43);
        int count = 0;
        for (boolean v : a) if (v) count++;
        assertEquals(137, count);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void shuffleIsAPermutation() {
        int[] order = latentdigits.data.Minibatches.shuffled(500, new Random(1));
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 500; i++) assertEquals(i, sorted[i]);
        assertFalse(Arrays.equals(order, sorted));
    }
}
