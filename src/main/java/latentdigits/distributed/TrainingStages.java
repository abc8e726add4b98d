package latentdigits.distributed;

/**
 * A run's epochs as a sequence of training stages of at most {@code epochsPerStage} epochs (0: one stage for the
 * run), each started by {@code start} (first epoch, how many) when the one before has delivered all of its epochs.
 */
final class TrainingStages implements AutoCloseable {
    interface Start {
        TrainingStage stage(int firstEpoch, int count);
    }

    private final int epochsPerStage;
    private final Start start;
    private TrainingStage stage;

    TrainingStages(int epochsPerStage, Start start) {
        this.epochsPerStage = epochsPerStage;
        this.start = start;
    }

    /** Epoch {@code epoch} of {@code epochs} (1-based), from the running stage or a new one. */
    TrainingStage.Handover next(int epoch, int epochs) {
        if (stage == null || stage.finished()) {
            close();
            int left = epochs - epoch + 1;
            stage = start.stage(epoch, epochsPerStage == 0 ? left : Math.min(epochsPerStage, left));
        }
        return stage.next();
    }

    /** Ends the running stage: after its last epoch, or early (training stopped), cancelling it. */
    @Override
    public void close() {
        if (stage != null) stage.close();
        stage = null;
    }
}
