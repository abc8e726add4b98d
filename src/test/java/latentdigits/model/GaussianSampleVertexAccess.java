package latentdigits.model;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.function.LongFunction;

/** Lets tests outside this package fix the sampling noise (e.g. to make Spark workers deterministic). */
public final class GaussianSampleVertexAccess {
    private GaussianSampleVertexAccess() {
    }

    public static void fixNoise(LongFunction<INDArray> noise) {
        GaussianSampleVertexImpl.fixedNoiseForTests = noise;
    }
}
