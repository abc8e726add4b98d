package latentdigits.data;

import latentdigits.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class MinibatchesTest {
    /**
     * A partition's epoch yields every image once, in minibatches of at most the batch size that do not cross blocks,
     * and {@code remaining()} always says how many minibatches are still to come.
     */
    @Test
    void everyImageOnceAndRemainingCountsDown() {
        List<DigitBlock> blocks = List.of(TestData.randomDigits(25, 1), TestData.randomDigits(0, 2), TestData.randomDigits(10, 3));
        Minibatches<Integer> epoch = Minibatches.ofPartition(blocks, 1, 7, 3, 10, (block, from, to) -> to - from);
        assertEquals(3 + 1, epoch.remaining()); // 25 -> 10, 10, 5; 10 -> 10
        int images = 0, batches = 0;
        while (epoch.hasNext()) {
            int left = epoch.remaining();
            int size = epoch.next();
            assertEquals(left - 1, epoch.remaining());
            images += size;
            batches++;
        }
        assertEquals(35, images);
        assertEquals(4, batches);
        assertEquals(0, epoch.remaining());
    }

    @Test
    void eachEpochHasItsOwnOrder() {
        DigitBlock block = TestData.randomDigits(50, 4);
        Set<String> orders = new HashSet<>();
        for (int epoch = 1; epoch <= 3; epoch++) {
            Minibatches<String> cut = Minibatches.ofPartition(List.of(block), 0, 7, epoch, 50,
                    (b, from, to) -> java.util.Arrays.toString(b.scaledPixels(from, Math.min(to, from + 3), 0f, 1f)));
            orders.add(cut.next());
            assertFalse(cut.hasNext());
        }
        assertEquals(3, orders.size());
    }
}
