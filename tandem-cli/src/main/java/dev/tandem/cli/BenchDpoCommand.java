package dev.tandem.cli;

import dev.tandem.model.Models;
import dev.tandem.rl.DpoConfig;
import dev.tandem.rl.DpoTrainer;
import dev.tandem.rl.PreferencePairs;
import dev.tandem.train.DataParallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code tandem bench dpo}: DPO training throughput in preference pairs per second. Each timed step runs the
 * reference forward (no grad) and the policy forward + backward over the chosen and rejected rows of a batch
 * together, then clips gradients and takes an AdamW step. Pairs are random tokens: a BOS-first prompt and two
 * responses.
 */
@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = "Measure DPO training throughput (median of runs after warm-up); the last line is `pairs/s: N`.")
public final class BenchDpoCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--pairs", defaultValue = "32", description = "Pairs per step (default: ${DEFAULT-VALUE}).") int pairs;
    @Option(names = "--prompt-tokens", defaultValue = "64", description = "Prompt length incl. BOS (default: ${DEFAULT-VALUE}).") int promptTokens;
    @Option(names = "--response-tokens", defaultValue = "64", description = "Tokens per response (default: ${DEFAULT-VALUE}).") int responseTokens;
    @Option(names = "--runs", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE}).") int runs;
    @Option(names = "--warmup", defaultValue = "3", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).") int warmup;

    @Override
    public Integer call() {
        if (pairs < 1 || promptTokens < 1 || responseTokens < 1 || runs < 1 || warmup < 0) {
            throw new UserException("--pairs, --prompt-tokens, --response-tokens and --runs must be positive");
        }
        try (Models.Loaded loaded = modelOptions.load()) {
            int vocab = loaded.model().config().vocabSize();
            SplittableRandom rnd = new SplittableRandom(99);
            List<PreferencePairs.Pair> batch = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                int[] p = new int[promptTokens], c = new int[responseTokens], r = new int[responseTokens];
                p[0] = loaded.tokenizer().bos();
                for (int j = 1; j < promptTokens; j++) p[j] = 3 + rnd.nextInt(vocab - 3);
                for (int j = 0; j < responseTokens; j++) {
                    c[j] = 3 + rnd.nextInt(vocab - 3);
                    r[j] = 3 + rnd.nextInt(vocab - 3);
                }
                batch.add(new PreferencePairs.Pair(p, c, r));
            }
            DpoConfig cfg = DpoConfig.builder().steps(warmup + runs).batchSize(pairs).learningRate(1e-5f).warmupSteps(0)
                    .checkpointEvery(0).build();
            System.err.printf(Locale.ROOT, "bench dpo: %s, %s, %d pairs of %d prompt + %d response tokens, "
                            + "reference forward included, %d warm-up + %d timed steps%n", loaded.name(),
                    BenchStats.parallelism(DataParallel.defaultShards()), pairs, promptTokens, responseTokens, warmup, runs);
            try (DpoTrainer t = new DpoTrainer(cfg, loaded.model(), loaded.tokenizer(), null, batch, List.of())) {
                for (int i = 0; i < warmup; i++) t.trainOn(batch, t.referenceLogps(batch), i);
                double[] rates = new double[runs], cpuRates = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime(), c0 = BenchStats.processCpuNanos();
                    t.trainOn(batch, t.referenceLogps(batch), warmup + i);
                    rates[i] = pairs / ((System.nanoTime() - t0) / 1e9);
                    cpuRates[i] = pairs / ((BenchStats.processCpuNanos() - c0) / 1e9);
                }
                System.out.printf(Locale.ROOT, "cpu: %.1f pairs per CPU-second (median, all threads)%n",
                        BenchStats.median(cpuRates));
                System.out.printf(Locale.ROOT, "runs: %d, min %.1f, max %.1f pairs/s%n", runs,
                        BenchStats.min(rates), BenchStats.max(rates));
                System.out.printf(Locale.ROOT, "pairs/s: %.1f%n", BenchStats.median(rates));
            }
        }
        return 0;
    }
}
