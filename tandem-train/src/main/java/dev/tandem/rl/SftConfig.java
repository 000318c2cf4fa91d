package dev.tandem.rl;

/**
 * A supervised fine-tuning run.
 *
 * @param steps             optimiser steps
 * @param batchSize         examples per step
 * @param blockSize         window length for plain text
 * @param maxPromptTokens   demonstrations: prompts keep their last tokens
 * @param maxResponseTokens demonstrations: responses keep their first tokens (EOS included)
 * @param evalFraction      share of the data held out
 * @param evalEvery         steps between evaluations (0: only before and after)
 * Other fields as {@link PpoConfig}.
 */
public record SftConfig(int steps, int batchSize, int blockSize, int maxPromptTokens, int maxResponseTokens,
        float learningRate, int warmupSteps, float minLrRatio, float weightDecay, float maxGradNorm,
        double evalFraction, int evalEvery, long seed, int checkpointEvery, int keepCheckpoints) {

    public SftConfig {
        Checks.positive("steps", steps);
        Checks.positive("batchSize", batchSize);
        if (blockSize < 2) throw new IllegalArgumentException("blockSize must be >= 2, got " + blockSize);
        if (maxPromptTokens < 1) throw new IllegalArgumentException("maxPromptTokens must be >= 1");
        Checks.positive("maxResponseTokens", maxResponseTokens);
        Checks.positive("learningRate", learningRate);
        Checks.nonNegative("warmupSteps", warmupSteps);
        Checks.fraction("minLrRatio", minLrRatio);
        Checks.nonNegative("weightDecay", weightDecay);
        Checks.nonNegative("maxGradNorm", maxGradNorm);
        if (!(evalFraction >= 0 && evalFraction < 1)) throw new IllegalArgumentException("evalFraction must be in [0, 1)");
        Checks.nonNegative("evalEvery", evalEvery);
        Checks.nonNegative("checkpointEvery", checkpointEvery);
        Checks.positive("keepCheckpoints", keepCheckpoints);
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        int steps = 200, batchSize = 16, blockSize = 128, maxPromptTokens = 128, maxResponseTokens = 128;
        float learningRate = 5e-4f;
        int warmupSteps = 10;
        float minLrRatio = 0.1f, weightDecay = 0f, maxGradNorm = 1f;
        double evalFraction = 0.1;
        int evalEvery = 50;
        long seed = 0;
        int checkpointEvery = 100, keepCheckpoints = 3;

        public Builder steps(int v) { steps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder blockSize(int v) { blockSize = v; return this; }
        public Builder maxPromptTokens(int v) { maxPromptTokens = v; return this; }
        public Builder maxResponseTokens(int v) { maxResponseTokens = v; return this; }
        public Builder learningRate(float v) { learningRate = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder minLrRatio(float v) { minLrRatio = v; return this; }
        public Builder weightDecay(float v) { weightDecay = v; return this; }
        public Builder maxGradNorm(float v) { maxGradNorm = v; return this; }
        public Builder evalFraction(double v) { evalFraction = v; return this; }
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder keepCheckpoints(int v) { keepCheckpoints = v; return this; }

        public SftConfig build() {
            return new SftConfig(steps, batchSize, blockSize, maxPromptTokens, maxResponseTokens, learningRate,
                    warmupSteps, minLrRatio, weightDecay, maxGradNorm, evalFraction, evalEvery, seed, checkpointEvery,
                    keepCheckpoints);
        }
    }
}
