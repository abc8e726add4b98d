package latentdigits.model;

import latentdigits.performance.FlushToZeroAdam;
import latentdigits.data.DigitBlock;
import latentdigits.data.DigitSource;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The project's own judge of generated digits: a small LeNet-style CNN
 * (conv 5x5x8, max-pool 2, conv 5x5x16, max-pool 2, dense 64 = the "features" layer, softmax 10). Its class
 * probabilities give the sample histogram and confidence; its 64 penultimate features give the Fréchet distance.
 */
public final class DigitClassifier {
    public static final String KIND = "classifier";
    public static final String IMAGE = "image";
    public static final String FEATURES = "features";
    public static final String CLASSES = "classes";
    private final ComputationGraph graph;

    public DigitClassifier(ComputationGraph graph) {
        this.graph = graph;
    }

    public static DigitClassifier create(double learningRate, long seed) {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(new FlushToZeroAdam(learningRate)).weightInit(WeightInit.RELU)
                .graphBuilder().addInputs(IMAGE)
                .addLayer("conv1", new ConvolutionLayer.Builder(5, 5).nOut(8).activation(Activation.RELU).build(), IMAGE)
                .addLayer("pool1", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "conv1")
                .addLayer("conv2", new ConvolutionLayer.Builder(5, 5).nOut(16).activation(Activation.RELU).build(), "pool1")
                .addLayer("pool2", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "conv2")
                .addLayer(FEATURES, new DenseLayer.Builder().nOut(64).activation(Activation.RELU).build(), "pool2")
                .addLayer(CLASSES, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build(), FEATURES)
                .setOutputs(CLASSES)
                .setInputTypes(InputType.convolutionalFlat(DigitSource.SIDE, DigitSource.SIDE, 1))
                .build());
        graph.init();
        return new DigitClassifier(graph);
    }

    public ComputationGraph graph() {
        return graph;
    }

    /** Images [from, to) with one-hot labels. */
    public static MultiDataSet trainingBatch(DigitBlock block, int from, int to) {
        INDArray labels = Nd4j.zeros(DataType.FLOAT, to - from, 10);
        for (int i = from; i < to; i++) labels.putScalar(i - from, block.label(i), 1f);
        return new org.nd4j.linalg.dataset.MultiDataSet(VaeModel.images(block, from, to), labels);
    }

    /** Class probabilities and penultimate features of images given as [n, 784] intensities in [0, 1]. */
    public Outputs outputs(INDArray images) {
        Map<String, INDArray> acts = graph.feedForward(new INDArray[]{images}, false, false);
        return new Outputs(acts.get(CLASSES), acts.get(FEATURES));
    }

    public record Outputs(INDArray probabilities, INDArray features) {
    }

    /** Fraction of the block's images whose most probable class is their label. */
    public double accuracy(DigitBlock block, int batch) {
        long correct = 0;
        for (int from = 0; from < block.size(); from += batch) {
            int to = Math.min(block.size(), from + batch);
            INDArray predicted = outputs(VaeModel.images(block, from, to)).probabilities().argMax(1);
            for (int i = from; i < to; i++) if (predicted.getInt(i - from) == block.label(i)) correct++;
        }
        return (double) correct / block.size();
    }

    public byte[] toBytes(Map<String, Object> provenance, double testAccuracy) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", KIND);
        m.put("test_accuracy", testAccuracy);
        m.put("provenance", provenance);
        return ModelFiles.toBytes(graph, m);
    }

    public static DigitClassifier fromLoaded(ModelFiles.Loaded loaded, String source) {
        ModelFiles.requireKind(loaded, KIND, "a digit classifier", source);
        return new DigitClassifier(loaded.graph());
    }
}
