package dev.tandem.rl;

/**
 * A GRPO run (Shao et al. 2024): k samples per prompt, group-normalised rewards as advantages, no value model, a
 * k3 KL penalty to the reference inside the loss.
 *
 * @param promptsPerStep   prompts per step; each gets {@code samplesPerPrompt} responses
 * @param samplesPerPrompt the group size k (≥ 2)
 * @param beta             weight of the KL term (0: none)
 * @param scaleRewards     divide by the group's standard deviation (false: only subtract the mean, Dr. GRPO)
 * @param epochs           passes over each batch (1: the ratio is always 1, the on-policy case)
 * @param minibatches      minibatches per pass (must divide {@code promptsPerStep · samplesPerPrompt})
 * Other fields as {@link PpoConfig}.
 */
public record GrpoConfig(int steps, int promptsPerStep, int samplesPerPrompt, int maxNewTokens, float temperature,
        boolean stopAtEos, float learningRate, int warmupSteps, float minLrRatio, float weightDecay, int epochs,
        int minibatches, float clipRange, float beta, boolean scaleRewards, float maxGradNorm, long seed,
        int checkpointEvery, int sampleEvery, int samplesPerLog, int keepCheckpoints) {

    public GrpoConfig {
        Checks.positive("steps", steps);
        Checks.positive("promptsPerStep", promptsPerStep);
        if (samplesPerPrompt < 2) throw new IllegalArgumentException("samplesPerPrompt must be >= 2, got " + samplesPerPrompt);
        Checks.positive("maxNewTokens", maxNewTokens);
        Checks.positive("temperature", temperature);
        Checks.positive("learningRate", learningRate);
        Checks.nonNegative("warmupSteps", warmupSteps);
        Checks.fraction("minLrRatio", minLrRatio);
        Checks.nonNegative("weightDecay", weightDecay);
        Checks.positive("epochs", epochs);
        Checks.positive("minibatches", minibatches);
        if ((promptsPerStep * samplesPerPrompt) % minibatches != 0) {
            throw new IllegalArgumentException(promptsPerStep * samplesPerPrompt + " responses per step do not split into "
                    + minibatches + " minibatches");
        }
        Checks.positive("clipRange", clipRange);
        Checks.nonNegative("beta", beta);
        Checks.nonNegative("maxGradNorm", maxGradNorm);
        new RunSettings(steps, checkpointEvery, sampleEvery, samplesPerLog, keepCheckpoints);
    }

    public RunSettings run() {
        return new RunSettings(steps, checkpointEvery, sampleEvery, samplesPerLog, keepCheckpoints);
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        int steps = 100, promptsPerStep = 16, samplesPerPrompt = 4, maxNewTokens = 48;
        float temperature = 1f;
        boolean stopAtEos = true;
        float learningRate = 3e-4f;
        int warmupSteps = 0;
        float minLrRatio = 1f, weightDecay = 0f;
        int epochs = 1, minibatches = 1;
        float clipRange = 0.2f, beta = 0.04f;
        boolean scaleRewards = true;
        float maxGradNorm = 1f;
        long seed = 0;
        int checkpointEvery = 25, sampleEvery = 10, samplesPerLog = 4, keepCheckpoints = 3;

        public Builder steps(int v) { steps = v; return this; }
        public Builder promptsPerStep(int v) { promptsPerStep = v; return this; }
        public Builder samplesPerPrompt(int v) { samplesPerPrompt = v; return this; }
        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder temperature(float v) { temperature = v; return this; }
        public Builder stopAtEos(boolean v) { stopAtEos = v; return this; }
        public Builder learningRate(float v) { learningRate = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder minLrRatio(float v) { minLrRatio = v; return this; }
        public Builder weightDecay(float v) { weightDecay = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder minibatches(int v) { minibatches = v; return this; }
        public Builder clipRange(float v) { clipRange = v; return this; }
        public Builder beta(float v) { beta = v; return this; }
        public Builder scaleRewards(boolean v) { scaleRewards = v; return this; }
        public Builder maxGradNorm(float v) { maxGradNorm = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder sampleEvery(int v) { sampleEvery = v; return this; }
        public Builder samplesPerLog(int v) { samplesPerLog = v; return this; }
        public Builder keepCheckpoints(int v) { keepCheckpoints = v; return this; }

        public GrpoConfig build() {
            return new GrpoConfig(steps, promptsPerStep, samplesPerPrompt, maxNewTokens, temperature, stopAtEos,
                    learningRate, warmupSteps, minLrRatio, weightDecay, epochs, minibatches, clipRange, beta,
                    scaleRewards, maxGradNorm, seed, checkpointEvery, sampleEvery, samplesPerLog, keepCheckpoints);
        }
    }
}
