package dev.tandem.cli;

import dev.tandem.model.Models;
import dev.tandem.model.TensorEngine;
import dev.tandem.rl.KlEstimator;
import dev.tandem.rl.PpoConfig;
import dev.tandem.rl.PpoTrainer;
import dev.tandem.rl.PromptSource;
import dev.tandem.rl.StepResult;
import dev.tandem.rl.rewards.LengthReward;
import dev.tandem.train.DataParallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code tandem bench ppo}: seconds per full PPO step, split into generate, score and optimise. Workload: B prompts
 * of 8 random tokens (BOS first), 64 new tokens at temperature 1 with EOS ignored; the value head on the policy's
 * trunk; no-grad forwards for old log-probs and values (one) and reference log-probs (one); a cheap programmatic
 * score (length); KL penalty, GAE, whitening; 1 epoch of 4 minibatches with AdamW.
 */
@Command(name = "ppo", mixinStandardHelpOptions = true,
        description = "Measure a full PPO step (median of runs after warm-up); the last line is `seconds/step: N`.")
public final class BenchPpoCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--batch", defaultValue = "64", description = "Rollouts per step (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--prompt-tokens", defaultValue = "8", description = "Prompt length incl. BOS (default: ${DEFAULT-VALUE}).") int promptTokens;
    @Option(names = "--new-tokens", defaultValue = "64", description = "New tokens per rollout (default: ${DEFAULT-VALUE}).") int newTokens;
    @Option(names = "--minibatches", defaultValue = "4", description = "Minibatches, one epoch (default: ${DEFAULT-VALUE}).") int minibatches;
    @Option(names = "--runs", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE}).") int runs;
    @Option(names = "--warmup", defaultValue = "3", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--profile", paramLabel = "FILE", description = "After the timed steps, run one more under libtorch's "
            + "profiler and write its Chrome trace to FILE (the calling thread's ops; TANDEM_SHARDS=1 to see them all).")
    Path profile;

    @Override
    public Integer call() {
        if (batch < 1 || promptTokens < 1 || newTokens < 1 || runs < 1 || warmup < 0 || minibatches < 1) {
            throw new UserException("--batch, --prompt-tokens, --new-tokens, --minibatches and --runs must be positive");
        }
        PpoConfig cfg;
        try {
            cfg = PpoConfig.builder().steps(warmup + runs + (profile != null ? 1 : 0)).batchSize(batch).maxNewTokens(newTokens).temperature(1f)
                    .stopAtEos(false).learningRate(1e-5f).epochs(1).minibatches(minibatches).earlyStopKl(0f)
                    .klEstimator(KlEstimator.K1).valueHead(PpoConfig.ValueHead.SHARED).checkpointEvery(0).seed(7).build();
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
        try (Models.Loaded loaded = modelOptions.load(); LengthReward reward = new LengthReward(20)) {
            int vocab = loaded.model().config().vocabSize();
            SplittableRandom rnd = new SplittableRandom(1234);
            int[][] prompts = new int[batch][promptTokens];
            for (int[] p : prompts) {
                p[0] = loaded.tokenizer().bos();
                for (int i = 1; i < promptTokens; i++) p[i] = 3 + rnd.nextInt(vocab - 3);
            }
            System.err.printf(Locale.ROOT, "bench ppo: %s, %s, B=%d, %d prompt + %d new tokens (EOS ignored), "
                            + "shared value head, 1 epoch x %d minibatches, %d warm-up + %d timed steps%n", loaded.name(),
                    BenchStats.parallelism(DataParallel.defaultShards()), batch, promptTokens, newTokens, minibatches, warmup, runs);
            try (PpoTrainer t = new PpoTrainer(cfg, loaded.model(), loaded.tokenizer(), null, reward,
                    PromptSource.ofTokens(prompts, loaded.tokenizer(), 7))) {
                for (int i = 1; i <= warmup; i++) t.step(i);
                double[] gen = new double[runs], score = new double[runs], opt = new double[runs], total = new double[runs];
                double[] cpu = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long c0 = BenchStats.processCpuNanos();
                    StepResult r = t.step(warmup + i + 1);
                    cpu[i] = (BenchStats.processCpuNanos() - c0) / 1e9;
                    if (r.rollout().rows() != batch || r.rollout().meanLength() != newTokens) {
                        throw new IllegalStateException("expected " + batch + " rollouts of " + newTokens + " tokens");
                    }
                    gen[i] = r.metrics().get("time/generate");
                    score[i] = r.metrics().get("time/score");
                    opt[i] = r.metrics().get("time/optimise");
                    total[i] = r.metrics().get("time/step");
                }
                if (profile != null) {
                    TensorEngine.profile(profile, () -> t.step(warmup + runs + 1));
                    System.err.println("bench ppo: libtorch profile of one step written to " + profile);
                }
                System.out.printf(Locale.ROOT, "generate: %.4f s (median)%n", BenchStats.median(gen));
                System.out.printf(Locale.ROOT, "score: %.4f s (median)%n", BenchStats.median(score));
                System.out.printf(Locale.ROOT, "optimise: %.4f s (median)%n", BenchStats.median(opt));
                System.out.printf(Locale.ROOT, "cpu: %.4f s/step (median process CPU time, all threads)%n", BenchStats.median(cpu));
                System.out.printf(Locale.ROOT, "runs: %d, min %.4f, max %.4f s/step%n", runs, BenchStats.min(total), BenchStats.max(total));
                System.out.printf(Locale.ROOT, "seconds/step: %.4f%n", BenchStats.median(total));
            }
        }
        return 0;
    }
}
