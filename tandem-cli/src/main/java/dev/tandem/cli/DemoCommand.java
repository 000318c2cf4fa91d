package dev.tandem.cli;

import dev.tandem.loop.Demo;
import dev.tandem.loop.DemoConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/**
 * {@code tandem demo}: the whole RLHF loop, unattended, in a few minutes. stdout carries the results (the last line
 * is {@code gold win-rate vs reference: 0.xx}); progress bars and logs go to stderr.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = DemoCommand.Defaults.class,
        description = {"Run all three acts of RLHF on stories260K, unattended, and show what happened:",
                "sample pairs of story continuations, have a SIMULATED annotator judge them into a feedback store, "
                        + "train a reward model on the comparisons, fine-tune the policy with a KL leash to the "
                        + "original, and evaluate against the original on fresh prompts with the annotator's hidden "
                        + "gold preference. Writes runs/demo-TIMESTAMP/ (feedback.db, report.html, runs)."})
public final class DemoCommand implements Callable<Integer> {
    private static final DemoConfig DEFAULTS = DemoConfig.builder(Path.of("runs")).build();

    @Option(names = "--model", paramLabel = "NAME|PATH", description = "Starting policy and KL reference (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--seed", paramLabel = "N", description = "Seed for sampling, the simulated annotator and training (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds of generate, collect, reward model, fine-tune (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--pairs", paramLabel = "N", description = "Comparisons collected per round (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--steps", paramLabel = "N", description = "Policy-optimisation steps per round (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--algo", paramLabel = "ALGO", description = "ppo, dpo, grpo or rloo (default: ${DEFAULT-VALUE}).")
    String algo;

    @Option(names = "--rm", paramLabel = "KIND", description = "Reward model: linear (fast) or transformer (default: ${DEFAULT-VALUE}).")
    String rm;

    @Option(names = "--annotator-error", paramLabel = "P", description = "Probability that the simulated annotator reports the "
            + "opposite of its choice, in [0, 0.5] (default: ${DEFAULT-VALUE}).")
    double annotatorError;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/demo-TIMESTAMP).")
    Path out;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Response length limit (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--lr", paramLabel = "LR", description = "Policy learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--kl-coef", paramLabel = "BETA", description = "KL penalty coefficient β of PPO, GRPO and RLOO (default: ${DEFAULT-VALUE}).")
    float klCoef;

    @Option(names = "--target-kl", paramLabel = "NATS", description = "PPO's adaptive-KL target in nats per response; 0 keeps β fixed (default: ${DEFAULT-VALUE}).")
    float targetKl;

    @Option(names = "--dpo-beta", paramLabel = "BETA", description = "DPO's β (default: ${DEFAULT-VALUE}).")
    float dpoBeta;

    @Option(names = "--batch", paramLabel = "N", description = "Responses per policy step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--eval-samples", paramLabel = "N", description = "Samples per fresh prompt and policy in the evaluation (default: ${DEFAULT-VALUE}).")
    int evalSamples;

    /** Defaults come from {@link DemoConfig}, so help and behaviour cannot drift apart. */
    static final class Defaults implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (!(arg instanceof CommandLine.Model.OptionSpec o)) return null;
            DemoConfig d = DEFAULTS;
            return switch (o.longestName()) {
                case "--model" -> d.model();
                case "--seed" -> Long.toString(d.seed());
                case "--rounds" -> Integer.toString(d.rounds());
                case "--pairs" -> Integer.toString(d.pairs());
                case "--steps" -> Integer.toString(d.steps());
                case "--algo" -> d.algorithm().id();
                case "--rm" -> d.rewardModel().id();
                case "--annotator-error" -> Double.toString(d.annotatorError());
                case "--max-new-tokens" -> Integer.toString(d.maxNewTokens());
                case "--temperature" -> Float.toString(d.temperature());
                case "--lr" -> Float.toString(d.learningRate());
                case "--kl-coef" -> Float.toString(d.klCoef());
                case "--target-kl" -> Float.toString(d.targetKl());
                case "--dpo-beta" -> Float.toString(d.dpoBeta());
                case "--batch" -> Integer.toString(d.batchSize());
                case "--eval-samples" -> Integer.toString(d.evalSamples());
                default -> null;
            };
        }
    }

    @Override
    public Integer call() throws IOException {
        Path dir = out != null ? out
                : Path.of("runs", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        DemoConfig cfg;
        try {
            cfg = DEFAULTS.toBuilder().out(dir).model(model).seed(seed).rounds(rounds).pairs(pairs).steps(steps)
                    .algorithm(DemoConfig.Algorithm.parse(algo)).rewardModel(DemoConfig.RewardKind.parse(rm))
                    .annotatorError(annotatorError).maxNewTokens(maxNewTokens).temperature(temperature)
                    .learningRate(lr).klCoef(klCoef).targetKl(targetKl).dpoBeta(dpoBeta).batchSize(batch)
                    .evalSamples(evalSamples).build();
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        try {
            new Demo(cfg, System.out).run();
        } catch (IOException e) {
            throw new UserException(e.getMessage(), e);
        }
        return 0;
    }
}
