package latentdigits.distributed;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The seeds of a run's epochs (each seeds the workers' random streams in that epoch): epoch e gets the e-th number
 * drawn from {@code Random(seed)}, so a stage starting at any epoch — a later stage, a stage started again after a
 * failure, a resumed run's first stage — draws what one uninterrupted stage would have.
 */
final class EpochSeeds {
    private final Random random;
    private final List<Long> drawn = new ArrayList<>();

    EpochSeeds(long seed) {
        this.random = new Random(seed);
    }

    /** The seeds of epochs {@code first} to {@code first + count - 1} (1-based). */
    long[] forEpochs(int first, int count) {
        while (drawn.size() < first - 1 + count) drawn.add(random.nextLong());
        long[] seeds = new long[count];
        for (int i = 0; i < count; i++) seeds[i] = drawn.get(first - 1 + i);
        return seeds;
    }
}
