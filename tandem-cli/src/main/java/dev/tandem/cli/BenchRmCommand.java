package dev.tandem.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tandem.model.Models;
import dev.tandem.model.TensorEngine;
import dev.tandem.reward.Comparison;
import dev.tandem.reward.LossConfig;
import dev.tandem.reward.TensorLosses;
import dev.tandem.reward.TransformerRewardModel;
import dev.tandem.train.AdamW;
import dev.tandem.train.Gradients;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code tandem bench rm}: Bradley-Terry reward-model training steps on the transformer: zero gradients, one forward
 * pass over chosen and rejected as ONE batch of 2B rows (prompt + response, head at the last token; the prompt a pair
 * shares runs once, see {@code SequenceBatch.ofSharedPrompts}), the loss, backward and an AdamW update. Tokens are random (tokenization is not timed). The figure is the median over runs.
 */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = "Measure reward-model training throughput (pairs per second, median of runs).")
public final class BenchRmCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--pairs", defaultValue = "32", description = "Pairs per step; the forward pass has 2x rows (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--prompt-tokens", defaultValue = "64", description = "Prompt tokens per row incl. BOS (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--response-tokens", defaultValue = "64", description = "Response tokens per row (default: ${DEFAULT-VALUE}).")
    int responseTokens;

    @Option(names = "--steps", defaultValue = "5", description = "Training steps per timed run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--runs", defaultValue = "7", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--distinct-prompts", description = "Give the chosen and rejected side of a pair different prompts "
            + "(real pairs share theirs, and the model then runs it once); for comparison.")
    boolean distinctPrompts;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--max-grad-norm", defaultValue = "0", description = "Also clip gradients to this norm (default: ${DEFAULT-VALUE} = off).")
    float clip;

    @Override
    public Integer call() throws IOException {
        if (pairs < 1 || promptTokens < 1 || responseTokens < 1 || steps < 1 || runs < 1 || warmup < 0) {
            throw new UserException("--pairs, --prompt-tokens, --response-tokens, --steps and --runs must be positive");
        }
        try (Models.Loaded backbone = modelOptions.load();
                TransformerRewardModel rm = TransformerRewardModel.fromBackbone(backbone, promptTokens, responseTokens)) {
            rm.model().setTrainable(true);
            List<NDArray> params = new ArrayList<>(rm.model().parameters().values());
            int vocab = rm.model().config().vocabSize();
            SplittableRandom rnd = new SplittableRandom(1234);
            int rows = 2 * pairs;
            int[][] prompts = new int[rows][promptTokens], responses = new int[rows][responseTokens];
            for (int i = 0; i < rows; i++) {
                prompts[i][0] = rm.tokenizer().bos();
                for (int j = 1; j < promptTokens; j++) prompts[i][j] = 3 + rnd.nextInt(vocab - 3);
                for (int j = 0; j < responseTokens; j++) responses[i][j] = 3 + rnd.nextInt(vocab - 3);
                if (i % 2 == 1 && !distinctPrompts) prompts[i] = prompts[i - 1]; // a pair's two sides share its prompt
            }
            List<Comparison> batch = new ArrayList<>();
            for (int i = 0; i < pairs; i++) batch.add(new Comparison.Preferred("p", "c" + i, "r" + i, 0));
            System.err.printf(Locale.ROOT, "bench rm: %s, %d threads (%s), %d pairs = %d rows x (%d prompt + %d response) tokens, %s, "
                            + "%d warm-up steps, %d runs x %d steps%n", backbone.name(), TensorEngine.threads(), BenchStats.ompWait(),
                    pairs, rows, promptTokens, responseTokens,
                    distinctPrompts ? "distinct prompts" : "a prompt shared by each pair", warmup, runs, steps);
            try (AdamW opt = new AdamW(params, AdamW.Config.defaults())) {
                float loss = Float.NaN;
                for (int i = 0; i < warmup; i++) loss = step(rm, opt, params, prompts, responses, batch);
                double[] rates = new double[runs], cpuRates = new double[runs];
                for (int r = 0; r < runs; r++) {
                    long t0 = System.nanoTime(), c0 = BenchStats.processCpuNanos();
                    for (int i = 0; i < steps; i++) loss = step(rm, opt, params, prompts, responses, batch);
                    rates[r] = (double) pairs * steps / ((System.nanoTime() - t0) / 1e9);
                    cpuRates[r] = (double) pairs * steps / ((BenchStats.processCpuNanos() - c0) / 1e9);
                }
                if (!Float.isFinite(loss)) throw new IllegalStateException("loss is " + loss);
                Arrays.sort(rates);
                double median = rates[runs / 2];
                System.out.printf(Locale.ROOT, "cpu: %.1f pairs per CPU-second (median, all threads)%n",
                        BenchStats.median(cpuRates));
                System.out.printf(Locale.ROOT, "runs: %d x %d steps, min %.0f, median %.0f, max %.0f pairs/s (loss %.4f)%n",
                        runs, steps, rates[0], median, rates[runs - 1], loss);
                System.out.printf(Locale.ROOT, "pairs/s: %.0f%n", median);
            }
        }
        return 0;
    }

    private float step(TransformerRewardModel rm, AdamW opt, List<NDArray> params, int[][] prompts, int[][] responses,
            List<Comparison> batch) {
        opt.zeroGradients();
        float value;
        try (NDManager m = rm.model().manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray rewards = rm.rewards(m, prompts, responses); // rows 2i, 2i+1 = chosen, rejected of pair i
            NDArray loss = TensorLosses.meanLoss(rewards, batch, LossConfig.defaults());
            gc.backward(loss);
            value = loss.getFloat();
        }
        if (clip > 0) Gradients.clipNorm(params, clip);
        opt.step(1e-4f);
        return value;
    }
}
