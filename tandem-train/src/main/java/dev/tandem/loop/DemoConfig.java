package dev.tandem.loop;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Everything that defines a {@code tandem demo} run. The defaults are tuned to finish in a few minutes on two CPU
 * cores (see docs/results.md).
 *
 * @param model              model name or path (the policy's starting point and the KL reference)
 * @param out                the run directory ({@code runs/demo-TIMESTAMP} by default)
 * @param seed               seeds every random choice (sampling, annotator, splits, shuffles)
 * @param rounds             rounds of generate → collect → reward model → fine-tune (iterated RLHF)
 * @param pairs              comparisons collected per round
 * @param steps              policy-optimisation steps per round
 * @param algorithm          ppo, dpo, grpo or rloo
 * @param rewardModel        linear or transformer (ignored by DPO, which learns from the comparisons directly)
 * @param annotatorError     probability that the simulated annotator reports the opposite of its own choice
 * @param annotatorTemperature Bradley-Terry temperature of the simulated annotator on the gold-score scale
 * @param goldLexicon        afinn or vader: the lexicon of the hidden gold preference
 * @param maxNewTokens       response length limit
 * @param temperature        sampling temperature for pairs, rollouts and evaluation
 * @param batchSize          responses per policy step (PPO, GRPO and RLOO rollouts; DPO pairs)
 * @param learningRate       policy learning rate
 * @param klCoef             the KL leash: initial β of PPO and RLOO's penalty, GRPO's β; DPO's β is {@code dpoBeta}
 * @param targetKl           PPO's adaptive-KL target in nats per response (0: fixed β)
 * @param dpoBeta            DPO's β
 * @param evalSamples        responses per fresh prompt per policy in the final evaluation
 * @param heldOutFraction    share of the comparisons held out to measure the reward model's accuracy
 * @param ppoEpochs          PPO passes over each batch of rollouts
 * @param ppoMinibatches     PPO minibatches per pass (must divide {@code batchSize})
 */
public record DemoConfig(String model, Path out, long seed, int rounds, int pairs, int steps, Algorithm algorithm,
        RewardKind rewardModel, double annotatorError, double annotatorTemperature, String goldLexicon,
        int maxNewTokens, float temperature, int batchSize, float learningRate, float klCoef, float targetKl,
        float dpoBeta, int evalSamples, double heldOutFraction, int ppoEpochs, int ppoMinibatches) {

    /** Policy-optimisation algorithms the demo can run. */
    public enum Algorithm {
        PPO, DPO, GRPO, RLOO;

        public String id() { return name().toLowerCase(Locale.ROOT); }

        public static Algorithm parse(String s) {
            for (Algorithm a : values()) if (a.id().equalsIgnoreCase(s.trim())) return a;
            throw new IllegalArgumentException("--algo must be ppo, dpo, grpo or rloo, got '" + s + "'");
        }
    }

    /** Reward-model kinds. */
    public enum RewardKind {
        LINEAR, TRANSFORMER;

        public String id() { return name().toLowerCase(Locale.ROOT); }

        public static RewardKind parse(String s) {
            for (RewardKind k : values()) if (k.id().equalsIgnoreCase(s.trim())) return k;
            throw new IllegalArgumentException("--rm must be linear or transformer, got '" + s + "'");
        }
    }

    public DemoConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(rewardModel, "rewardModel");
        positive("--rounds", rounds);
        if (pairs < 8) throw new IllegalArgumentException("--pairs must be at least 8, got " + pairs);
        positive("--steps", steps);
        if (!(annotatorError >= 0 && annotatorError <= 0.5)) {
            throw new IllegalArgumentException("--annotator-error must be in [0, 0.5], got " + annotatorError);
        }
        if (!(annotatorTemperature > 0)) throw new IllegalArgumentException("annotator temperature must be > 0");
        if (!goldLexicon.equals("afinn") && !goldLexicon.equals("vader")) {
            throw new IllegalArgumentException("the gold lexicon must be afinn or vader, got '" + goldLexicon + "'");
        }
        positive("--max-new-tokens", maxNewTokens);
        if (!(temperature > 0)) throw new IllegalArgumentException("--temperature must be > 0, got " + temperature);
        if (batchSize < 4 || batchSize % 4 != 0) {
            throw new IllegalArgumentException("--batch must be a positive multiple of 4, got " + batchSize);
        }
        if (!(learningRate > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + learningRate);
        if (!(klCoef >= 0)) throw new IllegalArgumentException("--kl-coef must be >= 0, got " + klCoef);
        if (!(targetKl >= 0)) throw new IllegalArgumentException("--target-kl must be >= 0, got " + targetKl);
        if (!(dpoBeta > 0)) throw new IllegalArgumentException("--dpo-beta must be > 0, got " + dpoBeta);
        positive("--eval-samples", evalSamples);
        if (!(heldOutFraction > 0 && heldOutFraction < 0.5)) {
            throw new IllegalArgumentException("held-out fraction must be in (0, 0.5), got " + heldOutFraction);
        }
        positive("PPO epochs", ppoEpochs);
        positive("PPO minibatches", ppoMinibatches);
        if (batchSize % ppoMinibatches != 0) {
            throw new IllegalArgumentException("--batch " + batchSize + " does not split into " + ppoMinibatches + " PPO minibatches");
        }
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + " must be at least 1, got " + v);
    }

    /** The tuned defaults, writing to {@code out}. */
    public static Builder builder(Path out) { return new Builder(out); }

    public Builder toBuilder() {
        Builder b = new Builder(out);
        b.model = model; b.seed = seed; b.rounds = rounds; b.pairs = pairs; b.steps = steps; b.algorithm = algorithm;
        b.rewardModel = rewardModel; b.annotatorError = annotatorError; b.annotatorTemperature = annotatorTemperature;
        b.goldLexicon = goldLexicon; b.maxNewTokens = maxNewTokens; b.temperature = temperature;
        b.batchSize = batchSize; b.learningRate = learningRate; b.klCoef = klCoef; b.targetKl = targetKl;
        b.dpoBeta = dpoBeta; b.evalSamples = evalSamples; b.heldOutFraction = heldOutFraction;
        b.ppoEpochs = ppoEpochs; b.ppoMinibatches = ppoMinibatches;
        return b;
    }

    /** Fluent construction starting from the tuned defaults. */
    public static final class Builder {
        Path out;
        String model = "stories260K";
        long seed = 1;
        int rounds = 1, pairs = 1000, steps = 8;
        Algorithm algorithm = Algorithm.PPO;
        RewardKind rewardModel = RewardKind.LINEAR;
        double annotatorError = 0.1, annotatorTemperature = 0.25;
        String goldLexicon = "vader";
        int maxNewTokens = 48;
        float temperature = 1f;
        int batchSize = 64;
        float learningRate = 5e-4f, klCoef = 0.05f, targetKl = 0f, dpoBeta = 0.1f;
        int evalSamples = 16;
        double heldOutFraction = 0.2;
        int ppoEpochs = 2, ppoMinibatches = 2;

        Builder(Path out) { this.out = out; }

        public Builder model(String v) { model = v; return this; }
        public Builder out(Path v) { out = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder rounds(int v) { rounds = v; return this; }
        public Builder pairs(int v) { pairs = v; return this; }
        public Builder steps(int v) { steps = v; return this; }
        public Builder algorithm(Algorithm v) { algorithm = v; return this; }
        public Builder rewardModel(RewardKind v) { rewardModel = v; return this; }
        public Builder annotatorError(double v) { annotatorError = v; return this; }
        public Builder annotatorTemperature(double v) { annotatorTemperature = v; return this; }
        public Builder goldLexicon(String v) { goldLexicon = v; return this; }
        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder temperature(float v) { temperature = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder learningRate(float v) { learningRate = v; return this; }
        public Builder klCoef(float v) { klCoef = v; return this; }
        public Builder targetKl(float v) { targetKl = v; return this; }
        public Builder dpoBeta(float v) { dpoBeta = v; return this; }
        public Builder evalSamples(int v) { evalSamples = v; return this; }
        public Builder heldOutFraction(double v) { heldOutFraction = v; return this; }
        public Builder ppoEpochs(int v) { ppoEpochs = v; return this; }
        public Builder ppoMinibatches(int v) { ppoMinibatches = v; return this; }

        public DemoConfig build() {
            return new DemoConfig(model, out, seed, rounds, pairs, steps, algorithm, rewardModel, annotatorError,
                    annotatorTemperature, goldLexicon, maxNewTokens, temperature, batchSize, learningRate, klCoef,
                    targetKl, dpoBeta, evalSamples, heldOutFraction, ppoEpochs, ppoMinibatches);
        }
    }
}
