package dev.tandem.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options {@code tandem grpo} and {@code tandem rloo} share: the run, the sampling and the optimiser, in help
 * order up to {@code --minibatches}. Each command declares its own loss options after this mixin and then
 * {@link Tail} (clipping, seed and logging), so the help lists them in the same order as before.
 */
final class GroupOptions {
    @Option(names = "--policy", defaultValue = "stories260K", paramLabel = "MODEL", description = "Starting policy (default: ${DEFAULT-VALUE}).") String policy;
    @Option(names = "--tokenizer", defaultValue = Option.NULL_VALUE, paramLabel = "FILE", description = "Tokenizer file; default: the model's own.") Path tokenizer;
    @Option(names = "--reward", required = true, paramLabel = "RM_DIR|builtin:NAME", description = "The reward.") String reward;
    @Option(names = "--prompts", defaultValue = Option.NULL_VALUE, paramLabel = "FILE", description = "Prompts (.txt lines or .jsonl {\"prompt\"}); default: built-in story openings.") Path prompts;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory.") Path out;
    @Option(names = "--resume", defaultValue = "false", description = "Continue the run in --out from its latest checkpoint.") boolean resume;
    @Option(names = "--steps", defaultValue = "100", description = "Steps (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--prompts-per-step", defaultValue = "16", description = "Prompts per step (default: ${DEFAULT-VALUE}).") int promptsPerStep;
    @Option(names = "--k", defaultValue = "4", description = "Samples per prompt (default: ${DEFAULT-VALUE}).") int k;
    @Option(names = "--max-new-tokens", defaultValue = "48", description = "Response length limit (default: ${DEFAULT-VALUE}).") int maxNewTokens;
    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default: ${DEFAULT-VALUE}).") float temperature;
    @Option(names = "--lr", defaultValue = "3e-4", description = "Learning rate (default: ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--warmup-steps", defaultValue = "0", description = "Warm-up updates (default: ${DEFAULT-VALUE}).") int warmupSteps;
    @Option(names = "--min-lr-ratio", defaultValue = "1.0", description = "Final/peak learning rate (default: ${DEFAULT-VALUE}).") float minLrRatio;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).") float weightDecay;
    @Option(names = "--epochs", defaultValue = "1", description = "Passes over each batch (default: ${DEFAULT-VALUE}).") int epochs;
    @Option(names = "--minibatches", defaultValue = "1", description = "Minibatches per pass (default: ${DEFAULT-VALUE}).") int minibatches;

    /** The shared options listed after each command's own: clipping, seed, checkpoints and sample logs. */
    static final class Tail {
        @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Gradient clipping (default: ${DEFAULT-VALUE}).") float maxGradNorm;
        @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--checkpoint-every", defaultValue = "25", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).") int checkpointEvery;
        @Option(names = "--sample-every", defaultValue = "10", description = "Steps between sample logs (default: ${DEFAULT-VALUE}).") int sampleEvery;
    }
}
