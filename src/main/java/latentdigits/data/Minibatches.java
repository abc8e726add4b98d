package latentdigits.data;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * An epoch's minibatches, cut from blocks of digits in a seeded shuffled order, one minibatch at a time as the trainer
 * asks for it: training starts at once, and only one minibatch's images are copied at a time (copying a whole shuffled
 * block first held up the start of every training stage; docs/experiments/speed.md).
 */
public final class Minibatches<T> implements Iterator<T> {
    /** A serialisable recipe turning images [from, to) of a block into one minibatch for the model being trained. */
    public interface Maker<T> extends Serializable {
        T make(DigitBlock block, int from, int to);
    }

    private final List<DigitBlock> blocks;
    private final List<int[]> orders;
    private final int batchSize;
    private final Maker<T> maker;
    private int blockIndex, from;

    private Minibatches(List<DigitBlock> blocks, List<int[]> orders, int batchSize, Maker<T> maker) {
        this.blocks = blocks;
        this.orders = orders;
        this.batchSize = batchSize;
        this.maker = maker;
    }

    /** One Spark partition's epoch: each of its blocks shuffled with (seed, epoch, partition). */
    public static <T> Minibatches<T> ofPartition(List<DigitBlock> blocks, int partition, long seed, int epoch, int batchSize, Maker<T> maker) {
        List<int[]> orders = blocks.stream()
                .map(block -> shuffled(block.size(), new Random(seed * 1_000_003L + epoch * 7919L + partition)))
                .toList();
        return new Minibatches<>(blocks, orders, batchSize, maker);
    }

    /** The one-JVM engines' epoch: all of {@code images} shuffled with (seed, epoch). */
    public static <T> Minibatches<T> ofAll(DigitBlock images, long seed, int epoch, int batchSize, Maker<T> maker) {
        return new Minibatches<>(List.of(images), List.of(shuffled(images.size(), new Random(seed * 31 + epoch))), batchSize, maker);
    }

    /** A Fisher-Yates permutation of 0..n-1 drawn from {@code random}. */
    public static int[] shuffled(int n, Random random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** How many minibatches are left in this epoch. */
    public int remaining() {
        int n = 0;
        for (int b = blockIndex; b < blocks.size(); b++) {
            int left = blocks.get(b).size() - (b == blockIndex ? from : 0);
            if (left > 0) n += (left + batchSize - 1) / batchSize;
        }
        return n;
    }

    @Override
    public boolean hasNext() {
        while (blockIndex < blocks.size() && from >= blocks.get(blockIndex).size()) {
            blockIndex++;
            from = 0;
        }
        return blockIndex < blocks.size();
    }

    @Override
    public T next() {
        if (!hasNext()) throw new NoSuchElementException();
        DigitBlock block = blocks.get(blockIndex);
        int to = Math.min(block.size(), from + batchSize);
        T batch = maker.make(block.select(Arrays.copyOfRange(orders.get(blockIndex), from, to)), 0, to - from);
        from = to;
        return batch;
    }
}
