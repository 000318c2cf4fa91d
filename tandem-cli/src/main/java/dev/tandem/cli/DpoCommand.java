package dev.tandem.cli;

import dev.tandem.model.Models;
import dev.tandem.reward.PreferenceData;
import dev.tandem.reward.Splits;
import dev.tandem.rl.DpoConfig;
import dev.tandem.rl.DpoTrainer;
import dev.tandem.rl.PreferenceLoss;
import dev.tandem.rl.PreferencePairs;
import dev.tandem.rl.SupervisedTrainer;
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

/** {@code tandem dpo}: direct preference optimisation (DPO or IPO) from preference pairs. */
@Command(name = "dpo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a policy directly on preference pairs with DPO (sigmoid) or IPO, against a frozen",
                "copy of itself. FORMAT:PATH with FORMAT hh-rlhf, oasst, ukpconvarg or jsonl; rankings become pairs.",
                "Held-out pairs come from --eval, or a --split by group (HH-RLHF line, OASST tree, UKPConvArg debate).",
                "stdout: the run directory, the final model and the held-out implicit-reward accuracy; the last line is",
                "`eval accuracy: 0.xxx`."})
public final class DpoCommand implements Callable<Integer> {
    @Option(names = "--policy", defaultValue = "stories260K", paramLabel = "MODEL", description = "Starting policy (default: ${DEFAULT-VALUE}).") String policy;
    @Option(names = "--tokenizer", defaultValue = Option.NULL_VALUE, paramLabel = "FILE", description = "Tokenizer file; default: the model's own.") Path tokenizer;
    @Option(names = "--train", required = true, paramLabel = "FORMAT:PATH", description = "Preference data (repeatable).") List<String> train;
    @Option(names = "--eval", paramLabel = "FORMAT:PATH", description = "Held-out data (repeatable); default: --split of --train.") List<String> eval;
    @Option(names = "--split", defaultValue = "0.1", description = "Held-out share by group without --eval (default: ${DEFAULT-VALUE}).") double split;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory.") Path out;
    @Option(names = "--resume", defaultValue = "false", description = "Continue the run in --out from its latest checkpoint.") boolean resume;
    @Option(names = "--loss", defaultValue = "sigmoid", description = "sigmoid (DPO) or ipo (default: ${DEFAULT-VALUE}).") String loss;
    @Option(names = "--beta", defaultValue = "0.1", description = "β (default: ${DEFAULT-VALUE}).") float beta;
    @Option(names = "--label-smoothing", defaultValue = "0", description = "Conservative DPO ε (default: ${DEFAULT-VALUE}).") float labelSmoothing;
    @Option(names = "--steps", defaultValue = "200", description = "Optimiser steps (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--batch-size", defaultValue = "16", description = "Pairs per step (default: ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--lr", defaultValue = "5e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--warmup-steps", defaultValue = "10", description = "Warm-up steps (default: ${DEFAULT-VALUE}).") int warmupSteps;
    @Option(names = "--min-lr-ratio", defaultValue = "0.1", description = "Final/peak learning rate (default: ${DEFAULT-VALUE}).") float minLrRatio;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).") float weightDecay;
    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Gradient clipping (default: ${DEFAULT-VALUE}).") float maxGradNorm;
    @Option(names = "--max-prompt-tokens", defaultValue = "128", description = "Prompt tokens kept, the last ones (default: ${DEFAULT-VALUE}).") int maxPromptTokens;
    @Option(names = "--max-response-tokens", defaultValue = "128", description = "Response tokens kept, the first ones (default: ${DEFAULT-VALUE}).") int maxResponseTokens;
    @Option(names = "--eval-every", defaultValue = "50", description = "Steps between evaluations (default: ${DEFAULT-VALUE}).") int evalEvery;
    @Option(names = "--max-eval-pairs", defaultValue = "256", description = "Held-out pairs evaluated at most (default: ${DEFAULT-VALUE}).") int maxEvalPairs;
    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).") int checkpointEvery;

    @Override
    public Integer call() {
        try {
            DpoConfig cfg = new DpoConfig(steps, batchSize, lr, warmupSteps, minLrRatio, weightDecay, maxGradNorm, beta,
                    PreferenceLoss.Kind.parse(loss), labelSmoothing, maxPromptTokens, maxResponseTokens, split, evalEvery,
                    maxEvalPairs, seed, checkpointEvery, 3);
            PreferenceData trainData = PreferenceData.load(train), evalData;
            if (eval == null || eval.isEmpty()) {
                Splits.Split s = Splits.byGroup(trainData, split, seed);
                trainData = s.train();
                evalData = s.eval();
            } else {
                evalData = PreferenceData.load(eval);
            }
            try (Models.Loaded loaded = Models.load(policy, tokenizer)) {
                PreferencePairs tp = PreferencePairs.of(trainData, loaded.tokenizer(), maxPromptTokens, maxResponseTokens);
                PreferencePairs ep = PreferencePairs.of(evalData, loaded.tokenizer(), maxPromptTokens, maxResponseTokens);
                System.err.printf(Locale.ROOT, "%s: %d training pairs, %d held-out pairs (%d dropped: identical after truncation)%n",
                        cfg.loss() == PreferenceLoss.Kind.IPO ? "ipo" : "dpo", tp.size(), ep.size(), tp.dropped() + ep.dropped());
                Map<String, Object> spec = new LinkedHashMap<>();
                spec.put("algorithm", cfg.loss() == PreferenceLoss.Kind.IPO ? "ipo" : "dpo");
                spec.put("policy", policy);
                spec.put("train", train);
                spec.put("eval", eval == null || eval.isEmpty() ? "split " + split : eval);
                spec.put("config", cfg);
                SupervisedTrainer.RunResult r;
                try (DpoTrainer t = new DpoTrainer(cfg, loaded.model(), loaded.tokenizer(), loaded.tokenizerFile(),
                        tp.pairs(), ep.pairs())) {
                    r = t.train(out, spec, resume, null);
                }
                System.out.println("run: " + out);
                System.out.println("final model: " + r.finalModel());
                Map<String, Double> first = r.metrics().get(0L), last = r.metrics().get((long) steps);
                if (last != null && last.containsKey("eval/rewards/accuracies")) {
                    if (first != null) {
                        System.out.printf(Locale.ROOT, "eval loss: %.4f -> %.4f%n", first.get("eval/loss"), last.get("eval/loss"));
                    }
                    System.out.printf(Locale.ROOT, "eval margin: %.4f%n", last.get("eval/rewards/margins"));
                    System.out.printf(Locale.ROOT, "eval accuracy: %.3f%n", last.get("eval/rewards/accuracies"));
                }
                return 0;
            }
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
    }
}
