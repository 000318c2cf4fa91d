package dev.tandem.cli;

import dev.tandem.model.Generation;
import dev.tandem.model.Models;
import dev.tandem.model.Sampler;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.TensorEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code tandem bench generate}: throughput of the batched sampler. Prompts are random token ids with BOS first,
 * every row generates all its new tokens (EOS ignored), prefill is inside the timing, and the figure is the median
 * over several runs after warm-up.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Measure batched sampling throughput (generated tokens per second, median of runs).")
public final class BenchGenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--batch", defaultValue = "64", description = "Rows sampled at once (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--prompt-tokens", defaultValue = "8", description = "Prompt length incl. BOS (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "64", description = "New tokens per row (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--runs", defaultValue = "15", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "10", description = "Untimed warm-up runs (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--sampler", defaultValue = "auto", description = "auto, java or torch (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Override
    public Integer call() {
        if (batch < 1 || promptTokens < 1 || newTokens < 1 || runs < 1 || warmup < 0) {
            throw new UserException("--batch, --prompt-tokens, --new-tokens and --runs must be positive");
        }
        try (Models.Loaded loaded = modelOptions.load()) {
            var model = loaded.model();
            Sampler s = Samplers.choose(sampler, loaded);
            int vocab = model.config().vocabSize();
            SplittableRandom rnd = new SplittableRandom(1234);
            int[][] prompts = new int[batch][promptTokens];
            for (int[] p : prompts) {
                p[0] = loaded.tokenizer().bos();
                for (int i = 1; i < promptTokens; i++) p[i] = 3 + rnd.nextInt(vocab - 3);
            }
            SamplingConfig cfg = new SamplingConfig(temperature, 0, 1f, newTokens, 7, false);
            System.err.printf(Locale.ROOT, "bench generate: %s sampler, %d threads, B=%d, %d prompt + %d new tokens, "
                            + "temperature %s, %d warm-up + %d timed runs%n", s.getClass().getSimpleName(),
                    TensorEngine.threads(), batch, promptTokens, newTokens, temperature, warmup, runs);
            for (int i = 0; i < warmup; i++) s.generate(prompts, cfg.withSeed(i));
            double[] rates = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                Generation g = s.generate(prompts, cfg.withSeed(100 + i));
                long t1 = System.nanoTime();
                if (g.tokenCount() != (long) batch * newTokens) {
                    throw new IllegalStateException("expected " + (long) batch * newTokens + " tokens, got " + g.tokenCount());
                }
                rates[i] = g.tokenCount() / ((t1 - t0) / 1e9);
            }
            Arrays.sort(rates);
            double median = rates[runs / 2];
            System.out.printf(Locale.ROOT, "runs: %d, min %.0f, median %.0f, max %.0f tokens/s%n", runs, rates[0],
                    median, rates[runs - 1]);
            System.out.printf(Locale.ROOT, "tokens/s: %.0f%n", median);
        }
        return 0;
    }
}
