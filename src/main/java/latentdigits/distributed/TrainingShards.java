package latentdigits.distributed;

import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import latentdigits.data.Minibatches;
import latentdigits.util.HadoopConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The training set as Spark sees it: each partition reads its own contiguous range of the IDX files on an executor,
 * drops the held-out validation images, and keeps the rest as one compact {@link DigitBlock} in memory (784 bytes an
 * image). Every epoch the training stage's tasks cut those bytes into freshly shuffled minibatches, so nothing large is
 * shipped from the driver.
 */
public final class TrainingShards implements AutoCloseable {
    private final JavaRDD<DigitBlock> train;
    private final DigitBlock validation;
    private final long trainCount;
    private final int partitions;

    private TrainingShards(JavaRDD<DigitBlock> train, DigitBlock validation, long trainCount, int partitions) {
        this.train = train;
        this.validation = validation;
        this.trainCount = trainCount;
        this.partitions = partitions;
    }

    /**
     * @param limit      use the first {@code limit} images of the source (all of them if 0)
     * @param holdOut    how many of those, chosen with {@code seed}, form the validation set
     */
    public static TrainingShards load(JavaSparkContext jsc, DigitSource source, HadoopConf hadoop, int limit, int holdOut,
                                      int partitions, long seed) {
        int n = limit > 0 ? Math.min(limit, source.count()) : source.count();
        if (limit > source.count())
            throw new IllegalArgumentException("--train-limit: expected at most " + source.count() + " (images in " + source.images().file() + "), found " + limit);
        if (holdOut < 0 || holdOut >= n)
            throw new IllegalArgumentException("--validation: expected 0 to " + (n - 1) + " (fewer than the " + n + " training images), found " + holdOut);
        boolean[] isValidation = validationMask(n, holdOut, seed);
        List<long[]> ranges = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            long first = (long) n * p / partitions, end = (long) n * (p + 1) / partitions;
            ranges.add(new long[]{first, end - first});
        }
        JavaRDD<DigitBlock> all = jsc.parallelize(ranges, partitions)
                .map(r -> source.read(r[0], (int) r[1], hadoop.get()));
        all.persist(StorageLevel.MEMORY_ONLY());
        JavaRDD<DigitBlock> train = all.map(b -> b.select(positions(b, isValidation, false)));
        // cached, with its lineage kept: a block lost with its executor is read from the files again when a training
        // stage is started again on a replacement
        train.persist(StorageLevel.MEMORY_ONLY());
        List<DigitBlock> held = all.map(b -> b.select(positions(b, isValidation, true))).collect();
        long trainCount = train.map(b -> (long) b.size()).reduce(Long::sum);
        all.unpersist(false);
        return new TrainingShards(train, concat(held), trainCount, partitions);
    }

    static boolean[] validationMask(int n, int holdOut, long seed) {
        int[] order = Minibatches.shuffled(n, new Random(seed));
        boolean[] mask = new boolean[n];
        for (int i = 0; i < holdOut; i++) mask[order[i]] = true;
        return mask;
    }

    private static int[] positions(DigitBlock block, boolean[] isValidation, boolean wanted) {
        return java.util.stream.IntStream.range(0, block.size())
                .filter(i -> isValidation[(int) block.indices()[i]] == wanted).toArray();
    }

    static DigitBlock concat(List<DigitBlock> blocks) {
        int total = blocks.stream().mapToInt(DigitBlock::size).sum();
        long[] idx = new long[total];
        byte[] px = new byte[total * DigitSource.PIXELS];
        byte[] lb = new byte[total];
        int at = 0;
        for (DigitBlock b : blocks) {
            System.arraycopy(b.indices(), 0, idx, at, b.size());
            System.arraycopy(b.pixels(), 0, px, at * DigitSource.PIXELS, b.size() * DigitSource.PIXELS);
            System.arraycopy(b.labels(), 0, lb, at, b.size());
            at += b.size();
        }
        return new DigitBlock(idx, px, lb);
    }

    /** The blocks each partition holds, for a training stage that cuts its epochs' minibatches from them itself. */
    JavaRDD<DigitBlock> blocks() {
        return train;
    }

    /** How a stage's task cuts its partition's contents into the minibatches of the stage's epoch {@code index} (0 = the first). */
    interface EpochCutter<T, B> extends Serializable {
        java.util.Iterator<B> minibatches(List<T> partition, int partitionId, int index);
    }

    /** How a stage starting at {@code firstEpoch} cuts each epoch's minibatches: each partition its own blocks, shuffled. */
    static <B> EpochCutter<DigitBlock, B> epochsFrom(int firstEpoch, long seed, int batchSize, Minibatches.Maker<B> maker) {
        return (blocks, partition, index) -> Minibatches.ofPartition(blocks, partition, seed, firstEpoch + index, batchSize, maker);
    }

    /** A fixed sample of training images (the first {@code limit} of each partition's share), for per-epoch train metrics. */
    public DigitBlock trainSample(int limit) {
        int each = Math.max(1, limit / partitions);
        return concat(train.map(b -> b.slice(0, Math.min(each, b.size()))).collect());
    }

    public DigitBlock validation() {
        return validation;
    }

    public long trainCount() {
        return trainCount;
    }

    public int partitions() {
        return partitions;
    }

    @Override
    public void close() {
        train.unpersist(false);
    }

    @Override
    public String toString() {
        return "TrainingShards(train=" + trainCount + ", validation=" + validation.size() + ", partitions=" + partitions + ")";
    }
}
