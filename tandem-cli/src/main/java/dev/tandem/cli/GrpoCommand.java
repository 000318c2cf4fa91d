package dev.tandem.cli;

import dev.tandem.rl.GrpoConfig;
import dev.tandem.rl.GrpoTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code tandem grpo}: group-relative policy optimisation (k samples per prompt, no value model). */
@Command(name = "grpo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a policy with GRPO: k samples per prompt, group-normalised rewards, a k3 KL term.",
                "REWARD is a directory from `tandem rm train` or builtin:sentiment / builtin:length[:WORDS].",
                "stdout: the run directory, the final model and the score before -> after."})
public final class GrpoCommand implements Callable<Integer> {
    @Mixin GroupOptions group;
    @Option(names = "--clip-range", defaultValue = "0.2", description = "Clip ε (default: ${DEFAULT-VALUE}).") float clipRange;
    @Option(names = "--beta", defaultValue = "0.04", description = "KL term weight (default: ${DEFAULT-VALUE}).") float beta;
    @Option(names = "--no-scale-rewards", defaultValue = "false", description = "Only subtract the group mean (Dr. GRPO).") boolean noScale;
    @Mixin GroupOptions.Tail tail;

    @Override
    public Integer call() {
        GrpoConfig cfg;
        try {
            cfg = new GrpoConfig(group.steps, group.promptsPerStep, group.k, group.maxNewTokens, group.temperature, true,
                    group.lr, group.warmupSteps, group.minLrRatio, group.weightDecay, group.epochs, group.minibatches,
                    clipRange, beta, !noScale, tail.maxGradNorm, tail.seed, tail.checkpointEvery, tail.sampleEvery, 4, 3);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
        return PpoCommand.RlRuns.policyRun("grpo", group.policy, group.tokenizer, group.reward, group.prompts, group.out,
                group.resume, cfg,
                (loaded, rm, texts) -> new GrpoTrainer(cfg, loaded.model(), loaded.tokenizer(), loaded.tokenizerFile(), rm, texts));
    }
}
