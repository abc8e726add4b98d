package latentdigits.performance;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.api.shape.options.ArrayOptionsHelper;
import org.nd4j.linalg.cpu.nativecpu.DirectShapeInfoProvider;

import java.util.concurrent.ConcurrentHashMap;

/**
 * ND4J's shape-information provider with the cache its CPU backend means to have. {@code DirectShapeInfoProvider}
 * caches shape descriptors by shape, stride, order and type, but only on two of its entry points; the one every new
 * INDArray goes through ({@code BaseNDArray}'s constructors, with an "empty" flag) is inherited uncached, so ND4J 1.0.0-M2
 * builds each array's shape descriptor natively again: a JNI call, two JavaCPP temporaries and a Java wrapper with
 * its own deallocator, about 200 times a minibatch of the MLP VAE (a JFR allocation profile: docs/experiments/speed.md).
 * Descriptors are immutable and already shared by the cached entry points, so sharing them here too changes no
 * result. The cache is bounded: shapes beyond {@link #DEFAULT_CAPACITY} distinct ones are built as before.
 * <p>
 * ND4J picks its provider from the system property {@code shapeinfoprovider} (read at initialisation over the
 * backend's {@code nd4j-native.properties}): {@code -Dshapeinfoprovider=latentdigits.performance.ShapeInfoCache}, set for
 * the driver and the executors in conf/spark-defaults.conf, whose driver flags submit.sh and the tests (pom.xml) use too.
 */
public class ShapeInfoCache extends DirectShapeInfoProvider {
    public static final String PROPERTY = "shapeinfoprovider";
    static final int DEFAULT_CAPACITY = 10_000;

    private final int capacity;
    private final ConcurrentHashMap<LongShapeDescriptor, Pair<DataBuffer, long[]>> cache = new ConcurrentHashMap<>();

    /** The constructor ND4J calls. */
    public ShapeInfoCache() {
        this(DEFAULT_CAPACITY);
    }

    ShapeInfoCache(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public Pair<DataBuffer, long[]> createShapeInformation(long[] shape, long[] stride, long elementWiseStride, char order,
                                                          DataType dataType, boolean empty) {
        if (empty || hasZeroDimension(shape)) // ND4J marks these empty itself; rare, not worth a slot
            return super.createShapeInformation(shape, stride, elementWiseStride, order, dataType, empty);
        // ND4J's own key, as DirectShapeInfoProvider's cache uses it (it copies the caller's arrays)
        LongShapeDescriptor key = new LongShapeDescriptor(shape, stride, 0, elementWiseStride, order,
                ArrayOptionsHelper.setOptionBit(0L, dataType));
        Pair<DataBuffer, long[]> known = cache.get(key);
        if (known != null) return known;
        Pair<DataBuffer, long[]> made = super.createShapeInformation(shape, stride, elementWiseStride, order, dataType, false);
        if (cache.size() >= capacity) return made;
        Pair<DataBuffer, long[]> first = cache.putIfAbsent(key, made);
        return first != null ? first : made;
    }

    private static boolean hasZeroDimension(long[] shape) {
        for (long d : shape) if (d == 0) return true;
        return false;
    }

    int size() {
        return cache.size();
    }
}
