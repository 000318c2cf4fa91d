package dev.tandem.cli;

import dev.tandem.model.Models;
import dev.tandem.rl.SftConfig;
import dev.tandem.rl.SftData;
import dev.tandem.rl.SftTrainer;
import dev.tandem.rl.SupervisedTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tandem sft}: supervised fine-tuning on demonstrations or plain text. */
@Command(name = "sft", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Supervised fine-tuning on demonstrations ({prompt, response|completion} JSONL: loss on the response",
                "tokens only) or on plain text (any other file: windows of --block-size tokens).",
                "DATA may also be a path under $TANDEM_DATA_DIR, e.g. corpora/tinyshakespeare/input.txt.",
                "stdout: the run directory, the final model and the held-out loss before -> after."})
public final class SftCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "stories260K", paramLabel = "MODEL", description = "Starting model (default: ${DEFAULT-VALUE}).") String model;
    @Option(names = "--tokenizer", defaultValue = Option.NULL_VALUE, paramLabel = "FILE", description = "Tokenizer file; default: the model's own.") Path tokenizer;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Demonstrations (.jsonl) or plain text.") String data;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory.") Path out;
    @Option(names = "--resume", defaultValue = "false", description = "Continue the run in --out from its latest checkpoint.") boolean resume;
    @Option(names = "--steps", defaultValue = "200", description = "Optimiser steps (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per step (default: ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--block-size", defaultValue = "128", description = "Plain text: tokens per window (default: ${DEFAULT-VALUE}).") int blockSize;
    @Option(names = "--max-prompt-tokens", defaultValue = "128", description = "Demonstrations: prompt tokens kept, the last ones (default: ${DEFAULT-VALUE}).") int maxPromptTokens;
    @Option(names = "--max-response-tokens", defaultValue = "128", description = "Demonstrations: response tokens kept (default: ${DEFAULT-VALUE}).") int maxResponseTokens;
    @Option(names = "--lr", defaultValue = "5e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--warmup-steps", defaultValue = "10", description = "Warm-up steps (default: ${DEFAULT-VALUE}).") int warmupSteps;
    @Option(names = "--min-lr-ratio", defaultValue = "0.1", description = "Final/peak learning rate (default: ${DEFAULT-VALUE}).") float minLrRatio;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).") float weightDecay;
    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Gradient clipping (default: ${DEFAULT-VALUE}).") float maxGradNorm;
    @Option(names = "--eval-fraction", defaultValue = "0.1", description = "Held-out share (default: ${DEFAULT-VALUE}).") double evalFraction;
    @Option(names = "--eval-every", defaultValue = "50", description = "Steps between evaluations (default: ${DEFAULT-VALUE}).") int evalEvery;
    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).") int checkpointEvery;

    @Override
    public Integer call() {
        try {
            SftConfig cfg = new SftConfig(steps, batchSize, blockSize, maxPromptTokens, maxResponseTokens, lr, warmupSteps,
                    minLrRatio, weightDecay, maxGradNorm, evalFraction, evalEvery, seed, checkpointEvery, 3);
            Path file = resolveData(data);
            try (Models.Loaded loaded = Models.load(model, tokenizer)) {
                SftData d = SftData.read(file, loaded.tokenizer(), maxPromptTokens, maxResponseTokens, blockSize,
                        evalFraction, seed);
                Map<String, Object> spec = new LinkedHashMap<>();
                spec.put("algorithm", "sft");
                spec.put("model", model);
                spec.put("data", file.toString());
                spec.put("config", cfg);
                SupervisedTrainer.RunResult r;
                try (SftTrainer t = new SftTrainer(cfg, loaded.model(), loaded.tokenizer(), loaded.tokenizerFile(), d)) {
                    r = t.train(out, spec, resume, null);
                }
                System.out.println("run: " + out);
                System.out.println("final model: " + r.finalModel());
                Map<String, Double> first = r.metrics().get(0L), last = r.metrics().get((long) steps);
                if (first != null && last != null && last.containsKey("eval/loss")) {
                    System.out.printf(Locale.ROOT, "eval loss: %.4f -> %.4f%n", first.get("eval/loss"), last.get("eval/loss"));
                }
                return 0;
            }
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    /** A path as given, or relative to the data directory. */
    static Path resolveData(String s) throws IOException {
        Path p = Path.of(s);
        if (Files.exists(p)) return p;
        Path under = Models.dataDir().resolve(s);
        if (Files.exists(under)) return under;
        throw new IOException("data not found: " + s + " (nor " + under + ")");
    }
}
