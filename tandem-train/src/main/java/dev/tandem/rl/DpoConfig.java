package dev.tandem.rl;

/**
 * A direct preference optimisation run (DPO, Rafailov et al. 2023; IPO, Azar et al. 2023).
 *
 * @param steps             optimiser steps
 * @param batchSize         preference pairs per step
 * @param beta              β: strength of the implicit KL regularisation
 * @param loss              sigmoid (DPO) or ipo
 * @param labelSmoothing    conservative DPO's label noise ε (0: plain DPO)
 * @param maxPromptTokens   prompts keep their last tokens
 * @param maxResponseTokens responses keep their first tokens
 * @param evalFraction      share of the pairs held out, by group, when no separate eval set is given
 * @param evalEvery         steps between evaluations (0: only before and after)
 * @param maxEvalPairs      cap on held-out pairs evaluated
 * Other fields as {@link PpoConfig}.
 */
public record DpoConfig(int steps, int batchSize, float learningRate, int warmupSteps, float minLrRatio,
        float weightDecay, float maxGradNorm, float beta, PreferenceLoss.Kind loss, float labelSmoothing,
        int maxPromptTokens, int maxResponseTokens, double evalFraction, int evalEvery, int maxEvalPairs, long seed,
        int checkpointEvery, int keepCheckpoints) {

    public DpoConfig {
        Checks.positive("steps", steps);
        Checks.positive("batchSize", batchSize);
        Checks.positive("learningRate", learningRate);
        Checks.nonNegative("warmupSteps", warmupSteps);
        Checks.fraction("minLrRatio", minLrRatio);
        Checks.nonNegative("weightDecay", weightDecay);
        Checks.nonNegative("maxGradNorm", maxGradNorm);
        Checks.positive("beta", beta);
        java.util.Objects.requireNonNull(loss, "loss");
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (maxPromptTokens < 2) throw new IllegalArgumentException("maxPromptTokens must be >= 2");
        Checks.positive("maxResponseTokens", maxResponseTokens);
        if (!(evalFraction >= 0 && evalFraction < 1)) throw new IllegalArgumentException("evalFraction must be in [0, 1)");
        Checks.nonNegative("evalEvery", evalEvery);
        Checks.positive("maxEvalPairs", maxEvalPairs);
        Checks.nonNegative("checkpointEvery", checkpointEvery);
        Checks.positive("keepCheckpoints", keepCheckpoints);
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        int steps = 200, batchSize = 16;
        float learningRate = 5e-4f;
        int warmupSteps = 10;
        float minLrRatio = 0.1f, weightDecay = 0f, maxGradNorm = 1f, beta = 0.1f;
        PreferenceLoss.Kind loss = PreferenceLoss.Kind.SIGMOID;
        float labelSmoothing = 0f;
        int maxPromptTokens = 128, maxResponseTokens = 128;
        double evalFraction = 0.1;
        int evalEvery = 50, maxEvalPairs = 256;
        long seed = 0;
        int checkpointEvery = 100, keepCheckpoints = 3;

        public Builder steps(int v) { steps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder learningRate(float v) { learningRate = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder minLrRatio(float v) { minLrRatio = v; return this; }
        public Builder weightDecay(float v) { weightDecay = v; return this; }
        public Builder maxGradNorm(float v) { maxGradNorm = v; return this; }
        public Builder beta(float v) { beta = v; return this; }
        public Builder loss(PreferenceLoss.Kind v) { loss = v; return this; }
        public Builder labelSmoothing(float v) { labelSmoothing = v; return this; }
        public Builder maxPromptTokens(int v) { maxPromptTokens = v; return this; }
        public Builder maxResponseTokens(int v) { maxResponseTokens = v; return this; }
        public Builder evalFraction(double v) { evalFraction = v; return this; }
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        public Builder maxEvalPairs(int v) { maxEvalPairs = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder keepCheckpoints(int v) { keepCheckpoints = v; return this; }

        public DpoConfig build() {
            return new DpoConfig(steps, batchSize, learningRate, warmupSteps, minLrRatio, weightDecay, maxGradNorm,
                    beta, loss, labelSmoothing, maxPromptTokens, maxResponseTokens, evalFraction, evalEvery,
                    maxEvalPairs, seed, checkpointEvery, keepCheckpoints);
        }
    }
}
