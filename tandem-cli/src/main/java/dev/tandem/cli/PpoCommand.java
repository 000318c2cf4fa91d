package dev.tandem.cli;

import dev.tandem.model.Models;
import dev.tandem.reward.RewardModel;
import dev.tandem.rl.KlEstimator;
import dev.tandem.rl.PolicyTrainer;
import dev.tandem.rl.PpoConfig;
import dev.tandem.rl.PpoTrainer;
import dev.tandem.rl.Prompts;
import dev.tandem.rl.rewards.Rewards;
import dev.tandem.train.MetricsLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tandem ppo}: fine-tunes a policy against a reward with PPO and a KL leash to the starting model. */
@Command(name = "ppo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a policy with PPO against a reward, with a KL penalty to the starting model.",
                "REWARD is a directory from `tandem rm train` or a programmatic builtin:sentiment / builtin:length[:WORDS].",
                "OUT gets config.json, metrics.jsonl (+ .csv), samples.jsonl, checkpoints/ and final/ (the tuned policy).",
                "stdout: the run directory, the final model and the score before -> after."})
public final class PpoCommand implements Callable<Integer> {
    @Option(names = "--policy", defaultValue = "stories260K", paramLabel = "MODEL",
            description = "Starting policy: a known name, a Tandem checkpoint directory or a llama2.c .bin (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--tokenizer", defaultValue = Option.NULL_VALUE, paramLabel = "FILE", description = "Tokenizer file; default: the model's own.")
    Path tokenizer;

    @Option(names = "--reward", required = true, paramLabel = "RM_DIR|builtin:NAME", description = "The reward.")
    String reward;

    @Option(names = "--prompts", defaultValue = Option.NULL_VALUE, paramLabel = "FILE", description = "Prompts, one per line (.txt) or {\"prompt\": …} lines (.jsonl); default: built-in story openings.")
    Path prompts;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory.")
    Path out;

    @Option(names = "--resume", defaultValue = "false", description = "Continue the run in --out from its latest checkpoint (same options; --steps may grow).")
    boolean resume;

    @Option(names = "--steps", defaultValue = "100", description = "PPO steps (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--batch-size", defaultValue = "64", description = "Responses per step (default: ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--max-new-tokens", defaultValue = "48", description = "Response length limit (default: ${DEFAULT-VALUE}).") int maxNewTokens;
    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default: ${DEFAULT-VALUE}).") float temperature;
    @Option(names = "--lr", defaultValue = "3e-4", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--warmup-steps", defaultValue = "0", description = "Warm-up updates, then cosine decay to --min-lr-ratio (default: ${DEFAULT-VALUE}).") int warmupSteps;
    @Option(names = "--min-lr-ratio", defaultValue = "1.0", description = "Final learning rate / peak; 1 = constant (default: ${DEFAULT-VALUE}).") float minLrRatio;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).") float weightDecay;
    @Option(names = "--epochs", defaultValue = "2", description = "Passes over each rollout batch (default: ${DEFAULT-VALUE}).") int epochs;
    @Option(names = "--minibatches", defaultValue = "4", description = "Minibatches per pass (default: ${DEFAULT-VALUE}).") int minibatches;
    @Option(names = "--clip-range", defaultValue = "0.2", description = "Surrogate clip ε (default: ${DEFAULT-VALUE}).") float clipRange;
    @Option(names = "--clip-range-value", defaultValue = "0.2", description = "Value clip (default: ${DEFAULT-VALUE}).") float clipRangeValue;
    @Option(names = "--vf-coef", defaultValue = "0.1", description = "Value loss weight (default: ${DEFAULT-VALUE}).") float vfCoef;
    @Option(names = "--ent-coef", defaultValue = "0", description = "Entropy bonus (default: ${DEFAULT-VALUE}).") float entCoef;
    @Option(names = "--gamma", defaultValue = "1.0", description = "Discount (default: ${DEFAULT-VALUE}).") float gamma;
    @Option(names = "--lambda", defaultValue = "0.95", description = "GAE λ (default: ${DEFAULT-VALUE}).") float lambda;
    @Option(names = "--no-whiten", defaultValue = "false", description = "Do not whiten advantages.") boolean noWhiten;
    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Gradient clipping, 0 = off (default: ${DEFAULT-VALUE}).") float maxGradNorm;
    @Option(names = "--early-stop-kl", defaultValue = "0.1", description = "Stop a batch's updates when approx-KL exceeds this, 0 = never (default: ${DEFAULT-VALUE}).") float earlyStopKl;
    @Option(names = "--kl-coef", defaultValue = "0.05", description = "β of the KL penalty (default: ${DEFAULT-VALUE}).") float klCoef;
    @Option(names = "--target-kl", defaultValue = "0", description = "Adaptive β (Ziegler et al.): target KL per response, 0 = fixed β (default: ${DEFAULT-VALUE}).") float targetKl;
    @Option(names = "--kl-horizon", defaultValue = "10000", description = "Adaptive β horizon in episodes (default: ${DEFAULT-VALUE}).") float klHorizon;
    @Option(names = "--kl-estimator", defaultValue = "k1", description = "k1 or k3 (default: ${DEFAULT-VALUE}).") String klEstimator;
    @Option(names = "--missing-eos-penalty", defaultValue = "0", description = "Subtracted from the score of responses without EOS (default: ${DEFAULT-VALUE}).") float missingEosPenalty;
    @Option(names = "--reward-clip", defaultValue = "0", description = "Clip scores to ±this, 0 = off (default: ${DEFAULT-VALUE}).") float rewardClip;
    @Option(names = "--normalize-rewards", defaultValue = "false", description = "Normalise scores with running mean and std.") boolean normalizeRewards;
    @Option(names = "--value-head", defaultValue = "shared", description = "shared (on the policy's trunk) or separate (own copy) (default: ${DEFAULT-VALUE}).") String valueHead;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--checkpoint-every", defaultValue = "25", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).") int checkpointEvery;
    @Option(names = "--sample-every", defaultValue = "10", description = "Steps between sample logs (default: ${DEFAULT-VALUE}).") int sampleEvery;

    @Override
    public Integer call() {
        PpoConfig cfg;
        try {
            cfg = new PpoConfig(steps, batchSize, maxNewTokens, temperature, true, lr, warmupSteps, minLrRatio,
                    weightDecay, epochs, minibatches, clipRange, clipRangeValue, vfCoef, entCoef, gamma, lambda,
                    !noWhiten, maxGradNorm, earlyStopKl, klCoef, targetKl, klHorizon, KlEstimator.parse(klEstimator),
                    missingEosPenalty, rewardClip, normalizeRewards, PpoConfig.ValueHead.parse(valueHead), seed,
                    checkpointEvery, sampleEvery, 4, 3);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
        return RlRuns.policyRun("ppo", policy, tokenizer, reward, prompts, out, resume, cfg,
                (loaded, rm, promptTexts) -> new PpoTrainer(cfg, loaded.model(), loaded.tokenizer(),
                        loaded.tokenizerFile(), rm, promptTexts));
    }

    /** Shared plumbing of the policy-optimisation commands (ppo, grpo, rloo). */
    static final class RlRuns {
        private RlRuns() {}

        static double number(Map<String, Object> row, String key) {
            return row.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
        }

        interface Factory {
            PolicyTrainer create(Models.Loaded policy, RewardModel reward, List<String> prompts);
        }

        static int policyRun(String algorithm, String policyRef, Path tokenizer, String rewardSpec, Path promptsFile,
                Path out, boolean resume, Object cfg, Factory factory) {
            try (Models.Loaded loaded = Models.load(policyRef, tokenizer);
                    RewardModel rm = Rewards.resolve(rewardSpec)) {
                List<String> promptTexts = promptsFile == null ? Prompts.STORY_OPENINGS : Prompts.read(promptsFile);
                Map<String, Object> spec = new LinkedHashMap<>();
                spec.put("algorithm", algorithm);
                spec.put("policy", policyRef);
                spec.put("tokenizer", tokenizer == null ? null : tokenizer.toString());
                spec.put("reward", rewardSpec);
                spec.put("reward_programmatic", rm.programmatic());
                spec.put("prompts", promptsFile == null ? "builtin:story-openings" : promptsFile.toString());
                spec.put("config", cfg);
                if (rm.programmatic()) {
                    System.err.println(algorithm + ": reward " + rm.name() + " is programmatic (a function of the text, not learned from people)");
                }
                PolicyTrainer.RunResult r;
                try (PolicyTrainer t = factory.create(loaded, rm, promptTexts)) {
                    r = t.train(out, spec, resume, null);
                }
                List<Map<String, Object>> m = MetricsLog.read(out.resolve("metrics.jsonl"));
                System.out.println("run: " + out);
                System.out.println("final model: " + r.finalModel());
                if (!m.isEmpty()) {
                    System.out.printf(Locale.ROOT, "score: %.4f -> %.4f (%s%s)%n", number(m.get(0), "objective/scores"),
                            number(m.get(m.size() - 1), "objective/scores"), rm.name(),
                            rm.programmatic() ? ", programmatic" : "");
                    System.out.printf(Locale.ROOT, "kl: %.4f%n", number(m.get(m.size() - 1), "objective/kl"));
                }
                return 0;
            } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
                throw new UserException(e.getMessage(), e);
            }
        }
    }
}
