package latentdigits.score;

import latentdigits.data.DigitBlock;
import latentdigits.model.DigitClassifier;
import latentdigits.model.VaeModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the classifier says about a set of images: the histogram of its predicted classes, its mean confidence
 * (max softmax), and the Gaussian of its penultimate features (for the Fréchet distance to another set).
 */
public record SampleScore(long[] histogram, double meanConfidence, FrechetDistance.Gaussian features) {

    /** Scores the images of {@code images} (their labels are not used). */
    public static SampleScore of(DigitClassifier classifier, DigitBlock images, int batch) {
        int n = images.size();
        long[] histogram = new long[10];
        double confidence = 0;
        double[][] features = new double[n][];
        latentdigits.util.Progress progress = new latentdigits.util.Progress("score", "images through the classifier", n);
        for (int from = 0; from < n; from += batch) {
            int count = Math.min(batch, n - from);
            DigitClassifier.Outputs out = classifier.outputs(VaeModel.images(images, from, from + count));
            INDArray p = out.probabilities().castTo(DataType.DOUBLE);
            INDArray f = out.features().castTo(DataType.DOUBLE);
            INDArray predicted = p.argMax(1);
            INDArray max = p.max(1);
            for (int i = 0; i < count; i++) {
                histogram[predicted.getInt(i)]++;
                confidence += max.getDouble(i);
                features[from + i] = f.getRow(i).toDoubleVector();
            }
            progress.advance(count);
        }
        progress.finish();
        return new SampleScore(histogram, confidence / n, FrechetDistance.Gaussian.of(features));
    }

    /** The JSON report: histogram (counts and fractions), confidence, and the Fréchet distance to {@code reference}. */
    public Map<String, Object> report(SampleScore reference, String referenceName) {
        long n = 0;
        for (long c : histogram) n += c;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("images", n);
        Map<String, Object> counts = new LinkedHashMap<>(), fractions = new LinkedHashMap<>();
        double lowest = 1, highest = 0;
        for (int digit = 0; digit < 10; digit++) {
            double f = (double) histogram[digit] / n;
            counts.put(String.valueOf(digit), histogram[digit]);
            fractions.put(String.valueOf(digit), Math.round(f * 10000) / 10000.0);
            lowest = Math.min(lowest, f);
            highest = Math.max(highest, f);
        }
        r.put("class_counts", counts);
        r.put("class_fractions", fractions);
        r.put("smallest_class_fraction", Math.round(lowest * 10000) / 10000.0);
        r.put("largest_class_fraction", Math.round(highest * 10000) / 10000.0);
        r.put("mean_max_softmax", Math.round(meanConfidence * 10000) / 10000.0);
        r.put("frechet_distance", Math.round(FrechetDistance.between(features, reference.features) * 10000) / 10000.0);
        r.put("frechet_reference", referenceName);
        return r;
    }
}
