package latentdigits.encode;

import latentdigits.data.DigitRecord;
import org.apache.spark.SparkContext;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

import java.io.Serializable;

/**
 * The encode job's totals, added up by the tasks as they write (Spark accumulators), so the driver never reads the
 * rows back for them: images encoded, records rejected, XENT and KL sums, and the latent kNN classifier's score on
 * the labelled images.
 */
public final class EncodeStats implements Serializable {
    public final LongAccumulator images, rejected, knnEvaluated, knnCorrect;
    public final DoubleAccumulator xent, kl, iwaeNll, iwaeImagesNelbo;
    public final LongAccumulator iwaeImages;

    public EncodeStats(SparkContext sc) {
        images = sc.longAccumulator("encoded images");
        rejected = sc.longAccumulator("rejected records");
        knnEvaluated = sc.longAccumulator("kNN evaluated");
        knnCorrect = sc.longAccumulator("kNN correct");
        xent = sc.doubleAccumulator("XENT sum");
        kl = sc.doubleAccumulator("KL sum");
        iwaeNll = sc.doubleAccumulator("importance-weighted NLL sum");
        iwaeImages = sc.longAccumulator("importance-weighted NLL images");
        iwaeImagesNelbo = sc.doubleAccumulator("NELBO sum of the importance-weighted NLL's images");
    }

    public void add(LatentEncoder.Encoded e, NearestNeighbours knn, int latent) {
        images.add(e.records().size());
        for (int i = 0; i < e.records().size(); i++) {
            if (e.xent() != null) {
                xent.add(e.xent()[i]);
                kl.add(e.kl()[i]);
            }
            int label = e.records().get(i).label();
            if (knn != null && label != DigitRecord.UNLABELLED) {
                knnEvaluated.add(1);
                if (knn.classify(e.mu(i, latent)) == label) knnCorrect.add(1);
            }
        }
    }

    public void addIwae(double[] nll, double nelboSum) {
        iwaeImagesNelbo.add(nelboSum);
        for (double v : nll) iwaeNll.add(v);
        iwaeImages.add(nll.length);
    }

    /** Skipping: each rejected record is counted here and written to _rejected by a second, decode-only pass. */
    public LatentEncoder.BadRecords skipAndCount() {
        LongAccumulator counter = rejected;
        return r -> counter.add(1);
    }
}
