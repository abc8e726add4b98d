package latentdigits.performance;

import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.cpu.nativecpu.DirectShapeInfoProvider;
import org.nd4j.linalg.factory.Nd4j;


import static org.junit.jupiter.api.Assertions.*;

class ShapeInfoCacheTest {

    /** What ND4J builds without the cache (DirectShapeInfoProvider leaves this entry point uncached). */
    private static long[] uncached(long[] shape, long[] stride, long ews, char order, DataType type) {
        return new DirectShapeInfoProvider().createShapeInformation(shape, stride, ews, order, type, false).getSecond();
    }

    @Test
    void aRepeatedDescriptorIsBuiltOnceAndEqualsWhatNd4jBuilds() {
        ShapeInfoCache cache = new ShapeInfoCache();
        long[] shape = {100, 784}, stride = {784, 1};
        Pair<DataBuffer, long[]> first = cache.createShapeInformation(shape, stride, 1, 'c', DataType.FLOAT, false);
        Pair<DataBuffer, long[]> again = cache.createShapeInformation(new long[]{100, 784}, new long[]{784, 1}, 1, 'c', DataType.FLOAT, false);
        assertSame(first, again);
        assertEquals(1, cache.size());
        assertArrayEquals(uncached(shape, stride, 1, 'c', DataType.FLOAT), first.getSecond());
        assertArrayEquals(first.getSecond(), first.getFirst().asLong());
    }

    @Test
    void descriptorsDifferingInAnyFieldAreKeptApart() {
        ShapeInfoCache cache = new ShapeInfoCache();
        long[][] shapes = {{100, 784}, {100, 784}, {100, 784}, {100, 784}, {784, 100}};
        long[][] strides = {{784, 1}, {1, 100}, {784, 1}, {784, 1}, {1, 784}};
        char[] orders = {'c', 'f', 'c', 'c', 'f'};
        DataType[] types = {DataType.FLOAT, DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT, DataType.FLOAT};
        long[] ews = {1, 1, 1, -1, 1};
        for (int i = 0; i < shapes.length; i++) {
            long[] info = cache.createShapeInformation(shapes[i], strides[i], ews[i], orders[i], types[i], false).getSecond();
            assertArrayEquals(uncached(shapes[i], strides[i], ews[i], orders[i], types[i]), info, "descriptor " + i);
        }
        assertEquals(shapes.length, cache.size());
    }

    @Test
    void theCallersArraysCanBeReusedAfterwards() {
        ShapeInfoCache cache = new ShapeInfoCache();
        long[] shape = {10, 20}, stride = {20, 1};
        long[] before = cache.createShapeInformation(shape, stride, 1, 'c', DataType.FLOAT, false).getSecond().clone();
        shape[0] = 30;
        stride[0] = 7;
        assertArrayEquals(before, cache.createShapeInformation(new long[]{10, 20}, new long[]{20, 1}, 1, 'c', DataType.FLOAT, false).getSecond());
    }

    @Test
    void emptyArraysAndShapesBeyondTheCapacityAreBuiltAsBeforeButNotKept() {
        ShapeInfoCache cache = new ShapeInfoCache(2);
        assertArrayEquals(uncached(new long[]{0, 5}, new long[]{5, 1}, 1, 'c', DataType.FLOAT),
                cache.createShapeInformation(new long[]{0, 5}, new long[]{5, 1}, 1, 'c', DataType.FLOAT, false).getSecond());
        assertEquals(0, cache.size());
        for (long rows = 1; rows <= 3; rows++) {
            long[] shape = {rows, 5}, stride = {5, 1};
            assertArrayEquals(uncached(shape, stride, 1, 'c', DataType.FLOAT),
                    cache.createShapeInformation(shape, stride, 1, 'c', DataType.FLOAT, false).getSecond());
        }
        assertEquals(2, cache.size());
        assertNotSame(cache.createShapeInformation(new long[]{3, 5}, new long[]{5, 1}, 1, 'c', DataType.FLOAT, false),
                cache.createShapeInformation(new long[]{3, 5}, new long[]{5, 1}, 1, 'c', DataType.FLOAT, false));
    }

    @Test
    void theTestsRunWithTheCacheInstalledAndArithmeticIsUnchanged() {
        assertInstanceOf(ShapeInfoCache.class, Nd4j.getShapeInfoProvider(),
                "conf/spark-defaults.conf's driver flags (pom.xml's argLine) set -D" + ShapeInfoCache.PROPERTY + ": every other test runs through the cache");
        INDArray a = Nd4j.linspace(DataType.FLOAT, 1, 12, 1).reshape('c', 3, 4);
        INDArray b = Nd4j.linspace(DataType.FLOAT, 1, 12, 1).reshape('c', 3, 4);
        assertSame(a.shapeInfoDataBuffer(), b.shapeInfoDataBuffer()); // shared, not rebuilt
        assertEquals(Nd4j.createFromArray(new float[][]{{30, 70, 110}, {70, 174, 278}, {110, 278, 446}}), a.mmul(b.transpose()));
    }
}
