package dev.tandem.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tandem.model.Models;
import dev.tandem.model.TensorEngine;
import dev.tandem.reward.Comparison;
import dev.tandem.reward.LossConfig;
import dev.tandem.reward.RewardTrainer;
import dev.tandem.reward.TensorLosses;
import dev.tandem.reward.TransformerRewardModel;
import dev.tandem.train.AdamW;
import dev.tandem.train.DataParallel;
import dev.tandem.train.Gradients;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
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

    @Option(names = "--shards", description = "Data-parallel shards, each on its own thread with one libtorch thread, "
            + "as `rm train` runs them (default: TANDEM_SHARDS, else the libtorch thread count; 1 = no shards).")
    Integer shards;

    @Option(names = "--profile", paramLabel = "FILE", description = "After the timed runs, run one more step under "
            + "libtorch's profiler and write its Chrome trace (chrome://tracing, Perfetto) to FILE (the calling thread's ops; "
            + "--shards 1 to see them all).")
    Path profile;

    @Option(names = "--max-grad-norm", defaultValue = "0", description = "Also clip gradients to this norm (default: ${DEFAULT-VALUE} = off).")
    float clip;

    @Override
    public Integer call() throws IOException {
        if (pairs < 1 || promptTokens < 1 || responseTokens < 1 || steps < 1 || runs < 1 || warmup < 0) {
            throw new UserException("--pairs, --prompt-tokens, --response-tokens, --steps and --runs must be positive");
        }
        int n = shards != null ? shards : DataParallel.defaultShards();
        if (n < 1) throw new UserException("--shards must be positive");
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
            System.err.printf(Locale.ROOT, "bench rm: %s, %s, %d pairs = %d rows x (%d prompt + %d response) tokens, %s, "
                            + "%d warm-up steps, %d runs x %d steps%n", backbone.name(), BenchStats.parallelism(n),
                    pairs, rows, promptTokens, responseTokens,
                    distinctPrompts ? "distinct prompts" : "a prompt shared by each pair", warmup, runs, steps);
            try (AdamW opt = new AdamW(params, AdamW.Config.defaults());
                    DataParallel parallel = n > 1 ? new DataParallel(rm.model(), n) : null) {
                float loss = Float.NaN;
                for (int i = 0; i < warmup; i++) loss = step(rm, parallel, opt, params, prompts, responses, batch);
                double[] rates = new double[runs], cpuRates = new double[runs];
                for (int r = 0; r < runs; r++) {
                    long t0 = System.nanoTime(), c0 = BenchStats.processCpuNanos();
                    for (int i = 0; i < steps; i++) loss = step(rm, parallel, opt, params, prompts, responses, batch);
                    rates[r] = (double) pairs * steps / ((System.nanoTime() - t0) / 1e9);
                    cpuRates[r] = (double) pairs * steps / ((BenchStats.processCpuNanos() - c0) / 1e9);
                }
                if (!Float.isFinite(loss)) throw new IllegalStateException("loss is " + loss);
                if (profile != null) {
                    TensorEngine.profile(profile, () -> step(rm, parallel, opt, params, prompts, responses, batch));
                    System.err.println("bench rm: libtorch profile of one step written to " + profile);
                }
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

    private float step(TransformerRewardModel rm, DataParallel parallel, AdamW opt, List<NDArray> params,
            int[][] prompts, int[][] responses, List<Comparison> batch) {
        opt.zeroGradients();
        float value;
        if (parallel != null) {
            value = parallelStep(parallel, prompts, responses, batch);
        } else {
            try (NDManager m = rm.model().manager().newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray rewards = rm.rewards(m, prompts, responses); // rows 2i, 2i+1 = chosen, rejected of pair i
                NDArray loss = TensorLosses.meanLoss(rewards, batch, LossConfig.defaults());
                gc.backward(loss);
                value = loss.getFloat();
            }
        }
        if (clip > 0) Gradients.clipNorm(params, clip);
        opt.step(1e-4f);
        return value;
    }

    /** The step's loss and backward in shards, as `rm train` runs them (RewardTrainer.backwardInShards). */
    private static float parallelStep(DataParallel parallel, int[][] prompts, int[][] responses, List<Comparison> batch) {
        RewardTrainer.ShardRewards rewards = (replica, m, from, to) -> TransformerRewardModel.rewards(replica, m,
                Arrays.copyOfRange(prompts, 2 * from, 2 * to), Arrays.copyOfRange(responses, 2 * from, 2 * to)); // pair i: rows 2i, 2i+1
        float total = 0;
        for (RewardTrainer.ShardResult part : RewardTrainer.backwardInShards(parallel, batch, batch.size(),
                LossConfig.defaults(), rewards)) {
            total += part.loss() * part.comparisons().size() / batch.size();
        }
        return total;
    }
}
