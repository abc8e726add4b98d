package latentdigits.train;

import latentdigits.data.DigitBlock;
import latentdigits.data.Minibatches;
import latentdigits.model.GanModel;

/** The study's GAN steps in this JVM on the whole training set, shuffled each epoch: the one-trainer reference. */
public final class LocalGanEngine implements TrainingEngine<GanModel> {
    private final DigitBlock images;
    private final long seed;
    private final int batch;
    private final GanSteps.LabelNoise labelNoise;
    private GanSteps steps;

    public LocalGanEngine(DigitBlock images, long seed, int batch, GanSteps.LabelNoise labelNoise) {
        this.images = images;
        this.seed = seed;
        this.batch = batch;
        this.labelNoise = labelNoise;
    }

    @Override
    public long fitEpoch(GanModel gan, int epoch, int epochs) {
        if (steps == null) steps = new GanSteps(gan, labelNoise);
        for (var batches = Minibatches.ofAll(images, seed, epoch, batch, GanModel::realImages); batches.hasNext(); )
            steps.step(batches.next());
        return images.size();
    }
}
