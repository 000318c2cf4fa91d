package dev.tandem.rl;

/**
 * Everything that defines a PPO run (Ziegler et al. 2019; Ouyang et al. 2022; TRL's PPO trainer). Built with
 * {@link #builder()}; the defaults follow TRL where it has one.
 *
 * @param steps             PPO steps (one rollout batch and its optimisation each)
 * @param batchSize         prompts (= responses) per rollout
 * @param maxNewTokens      response length limit
 * @param temperature       sampling temperature (log-probs are scored at the same temperature)
 * @param stopAtEos         stop responses at EOS; false makes every response exactly {@code maxNewTokens} long
 * @param learningRate      AdamW peak learning rate
 * @param warmupSteps       linear warm-up (in optimiser updates), then cosine decay to {@code minLrRatio}
 * @param minLrRatio        final learning rate as a fraction of the peak (1: constant)
 * @param weightDecay       AdamW decoupled weight decay
 * @param epochs            passes over each rollout batch
 * @param minibatches       minibatches per pass ({@code batchSize} must divide evenly)
 * @param clipRange         ε of the clipped surrogate
 * @param clipRangeValue    ε of the clipped value loss
 * @param vfCoef            weight of the value loss
 * @param entCoef           entropy bonus weight (0: none)
 * @param gamma             discount
 * @param lambda            GAE λ
 * @param whitenAdvantages  normalise advantages over the batch
 * @param maxGradNorm       global gradient-norm clip (0: none)
 * @param earlyStopKl       stop the optimisation of a batch once a minibatch's approximate KL to the rollout
 *                          policy exceeds this (0: never)
 * @param klCoef            initial β of the per-token KL penalty
 * @param targetKl          adaptive β: target KL per response (0: β fixed)
 * @param klHorizon         adaptive β: horizon in episodes
 * @param klEstimator       k1 or k3
 * @param missingEosPenalty subtracted from the score of responses without EOS (0: none)
 * @param rewardClip        clip scores to ±this after normalisation (0: none)
 * @param normalizeRewards  normalise scores with running mean and std
 * @param valueHead         where the value head sits
 * @param seed              seed of every random choice
 * @param checkpointEvery   steps between checkpoints (0: only at the end)
 * @param sampleEvery       steps between sample logs
 * @param samplesPerLog     samples written each time
 * @param keepCheckpoints   newest checkpoints kept
 */
public record PpoConfig(int steps, int batchSize, int maxNewTokens, float temperature, boolean stopAtEos,
        float learningRate, int warmupSteps, float minLrRatio, float weightDecay, int epochs, int minibatches,
        float clipRange, float clipRangeValue, float vfCoef, float entCoef, float gamma, float lambda,
        boolean whitenAdvantages, float maxGradNorm, float earlyStopKl, float klCoef, float targetKl, float klHorizon,
        KlEstimator klEstimator, float missingEosPenalty, float rewardClip, boolean normalizeRewards,
        ValueHead valueHead, long seed, int checkpointEvery, int sampleEvery, int samplesPerLog, int keepCheckpoints) {

    /** Where the value head sits. */
    public enum ValueHead {
        /** A scalar head on the policy's own trunk: one forward gives log-probs and values. */
        SHARED,
        /** A scalar head on a separate copy of the initial policy. */
        SEPARATE;

        public static ValueHead parse(String s) {
            return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "shared" -> SHARED;
                case "separate" -> SEPARATE;
                default -> throw new IllegalArgumentException("unknown value head '" + s + "': use shared or separate");
            };
        }
    }

    public PpoConfig {
        Checks.positive("steps", steps);
        Checks.positive("batchSize", batchSize);
        Checks.positive("maxNewTokens", maxNewTokens);
        Checks.positive("epochs", epochs);
        Checks.positive("minibatches", minibatches);
        if (batchSize % minibatches != 0) {
            throw new IllegalArgumentException("batchSize " + batchSize + " is not divisible into " + minibatches + " minibatches");
        }
        Checks.nonNegative("temperature", temperature);
        if (temperature == 0) throw new IllegalArgumentException("PPO samples: temperature must be > 0");
        Checks.positive("learningRate", learningRate);
        Checks.nonNegative("warmupSteps", warmupSteps);
        Checks.fraction("minLrRatio", minLrRatio);
        Checks.nonNegative("weightDecay", weightDecay);
        Checks.positive("clipRange", clipRange);
        Checks.positive("clipRangeValue", clipRangeValue);
        Checks.nonNegative("vfCoef", vfCoef);
        Checks.nonNegative("entCoef", entCoef);
        Checks.fraction("gamma", gamma);
        Checks.fraction("lambda", lambda);
        Checks.nonNegative("maxGradNorm", maxGradNorm);
        Checks.nonNegative("earlyStopKl", earlyStopKl);
        Checks.nonNegative("klCoef", klCoef);
        Checks.nonNegative("targetKl", targetKl);
        if (targetKl > 0 && klCoef == 0) throw new IllegalArgumentException("adaptive KL (targetKl > 0) needs klCoef > 0");
        Checks.positive("klHorizon", klHorizon);
        java.util.Objects.requireNonNull(klEstimator, "klEstimator");
        Checks.nonNegative("missingEosPenalty", missingEosPenalty);
        Checks.nonNegative("rewardClip", rewardClip);
        java.util.Objects.requireNonNull(valueHead, "valueHead");
        Checks.nonNegative("checkpointEvery", checkpointEvery);
        Checks.positive("sampleEvery", sampleEvery);
        Checks.nonNegative("samplesPerLog", samplesPerLog);
        Checks.positive("keepCheckpoints", keepCheckpoints);
    }

    public int minibatchSize() { return batchSize / minibatches; }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps; b.batchSize = batchSize; b.maxNewTokens = maxNewTokens; b.temperature = temperature;
        b.stopAtEos = stopAtEos; b.learningRate = learningRate; b.warmupSteps = warmupSteps; b.minLrRatio = minLrRatio;
        b.weightDecay = weightDecay; b.epochs = epochs; b.minibatches = minibatches; b.clipRange = clipRange;
        b.clipRangeValue = clipRangeValue; b.vfCoef = vfCoef; b.entCoef = entCoef; b.gamma = gamma; b.lambda = lambda;
        b.whitenAdvantages = whitenAdvantages; b.maxGradNorm = maxGradNorm; b.earlyStopKl = earlyStopKl;
        b.klCoef = klCoef; b.targetKl = targetKl; b.klHorizon = klHorizon; b.klEstimator = klEstimator;
        b.missingEosPenalty = missingEosPenalty; b.rewardClip = rewardClip; b.normalizeRewards = normalizeRewards;
        b.valueHead = valueHead; b.seed = seed; b.checkpointEvery = checkpointEvery; b.sampleEvery = sampleEvery;
        b.samplesPerLog = samplesPerLog; b.keepCheckpoints = keepCheckpoints;
        return b;
    }

    /** Fluent construction with defaults. */
    public static final class Builder {
        int steps = 100, batchSize = 64, maxNewTokens = 48;
        float temperature = 1f;
        boolean stopAtEos = true;
        float learningRate = 3e-4f;
        int warmupSteps = 0;
        float minLrRatio = 1f, weightDecay = 0f;
        int epochs = 2, minibatches = 4;
        float clipRange = 0.2f, clipRangeValue = 0.2f, vfCoef = 0.1f, entCoef = 0f, gamma = 1f, lambda = 0.95f;
        boolean whitenAdvantages = true;
        float maxGradNorm = 1f, earlyStopKl = 0.1f, klCoef = 0.05f, targetKl = 0f, klHorizon = 10000f;
        KlEstimator klEstimator = KlEstimator.K1;
        float missingEosPenalty = 0f, rewardClip = 0f;
        boolean normalizeRewards = false;
        ValueHead valueHead = ValueHead.SHARED;
        long seed = 0;
        int checkpointEvery = 25, sampleEvery = 10, samplesPerLog = 4, keepCheckpoints = 3;

        public Builder steps(int v) { steps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
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
        public Builder clipRangeValue(float v) { clipRangeValue = v; return this; }
        public Builder vfCoef(float v) { vfCoef = v; return this; }
        public Builder entCoef(float v) { entCoef = v; return this; }
        public Builder gamma(float v) { gamma = v; return this; }
        public Builder lambda(float v) { lambda = v; return this; }
        public Builder whitenAdvantages(boolean v) { whitenAdvantages = v; return this; }
        public Builder maxGradNorm(float v) { maxGradNorm = v; return this; }
        public Builder earlyStopKl(float v) { earlyStopKl = v; return this; }
        public Builder klCoef(float v) { klCoef = v; return this; }
        public Builder targetKl(float v) { targetKl = v; return this; }
        public Builder klHorizon(float v) { klHorizon = v; return this; }
        public Builder klEstimator(KlEstimator v) { klEstimator = v; return this; }
        public Builder missingEosPenalty(float v) { missingEosPenalty = v; return this; }
        public Builder rewardClip(float v) { rewardClip = v; return this; }
        public Builder normalizeRewards(boolean v) { normalizeRewards = v; return this; }
        public Builder valueHead(ValueHead v) { valueHead = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder sampleEvery(int v) { sampleEvery = v; return this; }
        public Builder samplesPerLog(int v) { samplesPerLog = v; return this; }
        public Builder keepCheckpoints(int v) { keepCheckpoints = v; return this; }

        public PpoConfig build() {
            return new PpoConfig(steps, batchSize, maxNewTokens, temperature, stopAtEos, learningRate, warmupSteps,
                    minLrRatio, weightDecay, epochs, minibatches, clipRange, clipRangeValue, vfCoef, entCoef, gamma,
                    lambda, whitenAdvantages, maxGradNorm, earlyStopKl, klCoef, targetKl, klHorizon, klEstimator,
                    missingEosPenalty, rewardClip, normalizeRewards, valueHead, seed, checkpointEvery, sampleEvery,
                    samplesPerLog, keepCheckpoints);
        }
    }
}
