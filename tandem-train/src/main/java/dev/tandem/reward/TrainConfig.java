package dev.tandem.reward;

/**
 * Hyper-parameters of a reward-model run.
 *
 * @param epochs             passes over the training comparisons
 * @param batchSize          comparisons per micro-batch (a pair contributes 2 rows to the forward pass)
 * @param gradAccumulation   micro-batches per optimizer step
 * @param learningRate       peak learning rate
 * @param warmupRatio        share of the steps with linear warmup
 * @param minLrRatio         cosine decay ends at {@code minLrRatio · learningRate}
 * @param weightDecay        AdamW's decoupled weight decay
 * @param maxGradNorm        global gradient-norm clipping (0 = off)
 * @param evalEvery          validate every N steps (0 = at the end of every epoch)
 * @param patience           stop after this many validations without improvement (0 = never stop early)
 * @param checkpointEvery    write a resumable checkpoint every N steps (0 = at the end of every epoch)
 * @param seed               shuffling seed (same seed, same data, same result)
 * @param loss               the loss
 */
public record TrainConfig(int epochs, int batchSize, int gradAccumulation, float learningRate, float warmupRatio,
        float minLrRatio, float weightDecay, float maxGradNorm, int evalEvery, int patience, int checkpointEvery,
        long seed, LossConfig loss) {

    public TrainConfig {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (gradAccumulation < 1) throw new IllegalArgumentException("gradient accumulation must be >= 1, got " + gradAccumulation);
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        if (!(warmupRatio >= 0 && warmupRatio < 1)) throw new IllegalArgumentException("warmup ratio must be in [0, 1), got " + warmupRatio);
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) throw new IllegalArgumentException("min lr ratio must be in [0, 1], got " + minLrRatio);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        if (!(maxGradNorm >= 0)) throw new IllegalArgumentException("max grad norm must be >= 0, got " + maxGradNorm);
        if (evalEvery < 0 || patience < 0 || checkpointEvery < 0) throw new IllegalArgumentException("evalEvery, patience and checkpointEvery must be >= 0");
        java.util.Objects.requireNonNull(loss, "loss");
    }

    /** Defaults for the sparse linear model: large steps, a few epochs (L2 through --weight-decay). */
    public static TrainConfig linearDefaults() {
        return new TrainConfig(4, 64, 1, 0.01f, 0.05f, 0.1f, 0.0f, 0f, 0, 0, 0, 1, LossConfig.defaults());
    }

    /** Defaults for the transformer (stories260K-sized): batch 16 pairs, 1e-3 peak, clipping at 1. */
    public static TrainConfig transformerDefaults() {
        return new TrainConfig(2, 16, 1, 1e-3f, 0.05f, 0.1f, 0.0f, 1.0f, 0, 0, 0, 1, LossConfig.defaults());
    }

    public TrainConfig withEpochs(int e) {
        return new TrainConfig(e, batchSize, gradAccumulation, learningRate, warmupRatio, minLrRatio, weightDecay,
                maxGradNorm, evalEvery, patience, checkpointEvery, seed, loss);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(epochs, batchSize, gradAccumulation, learningRate, warmupRatio, minLrRatio, weightDecay,
                maxGradNorm, evalEvery, patience, checkpointEvery, s, loss);
    }

    public TrainConfig withLearningRate(float lr) {
        return new TrainConfig(epochs, batchSize, gradAccumulation, lr, warmupRatio, minLrRatio, weightDecay,
                maxGradNorm, evalEvery, patience, checkpointEvery, seed, loss);
    }

    public TrainConfig withBatch(int batch, int accumulation) {
        return new TrainConfig(epochs, batch, accumulation, learningRate, warmupRatio, minLrRatio, weightDecay,
                maxGradNorm, evalEvery, patience, checkpointEvery, seed, loss);
    }

    public TrainConfig withLoss(LossConfig l) {
        return new TrainConfig(epochs, batchSize, gradAccumulation, learningRate, warmupRatio, minLrRatio, weightDecay,
                maxGradNorm, evalEvery, patience, checkpointEvery, seed, l);
    }

    public TrainConfig withSchedule(int evalEveryN, int patienceN, int checkpointEveryN) {
        return new TrainConfig(epochs, batchSize, gradAccumulation, learningRate, warmupRatio, minLrRatio, weightDecay,
                maxGradNorm, evalEveryN, patienceN, checkpointEveryN, seed, loss);
    }

    public TrainConfig withRegularisation(float wd, float clip) {
        return new TrainConfig(epochs, batchSize, gradAccumulation, learningRate, warmupRatio, minLrRatio, wd, clip,
                evalEvery, patience, checkpointEvery, seed, loss);
    }
}
