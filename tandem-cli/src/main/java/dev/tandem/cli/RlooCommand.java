package dev.tandem.cli;

import dev.tandem.rl.KlEstimator;
import dev.tandem.rl.RlooConfig;
import dev.tandem.rl.RlooTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code tandem rloo}: REINFORCE leave-one-out (k samples per prompt, no value model). */
@Command(name = "rloo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a policy with RLOO: k samples per prompt, each baselined by the other k-1.",
                "The reward is score - β·KL(policy‖reference) per response.",
                "REWARD is a directory from `tandem rm train` or builtin:sentiment / builtin:length[:WORDS].",
                "stdout: the run directory, the final model and the score before -> after."})
public final class RlooCommand implements Callable<Integer> {
    @Mixin GroupOptions group;
    @Option(names = "--clip-range", defaultValue = "0.2", description = "Clip ε on sequence ratios (default: ${DEFAULT-VALUE}).") float clipRange;
    @Option(names = "--kl-coef", defaultValue = "0.05", description = "β of the KL penalty (default: ${DEFAULT-VALUE}).") float klCoef;
    @Option(names = "--kl-estimator", defaultValue = "k1", description = "k1 or k3 (default: ${DEFAULT-VALUE}).") String klEstimator;
    @Option(names = "--normalize-advantages", defaultValue = "false", description = "Whiten advantages over the batch.") boolean normalizeAdvantages;
    @Option(names = "--missing-eos-penalty", defaultValue = "0", description = "Subtracted from scores without EOS (default: ${DEFAULT-VALUE}).") float missingEosPenalty;
    @Mixin GroupOptions.Tail tail;

    @Override
    public Integer call() {
        RlooConfig cfg;
        try {
            cfg = new RlooConfig(group.steps, group.promptsPerStep, group.k, group.maxNewTokens, group.temperature, true,
                    group.lr, group.warmupSteps, group.minLrRatio, group.weightDecay, group.epochs, group.minibatches,
                    clipRange, klCoef, KlEstimator.parse(klEstimator), normalizeAdvantages, missingEosPenalty,
                    tail.maxGradNorm, tail.seed, tail.checkpointEvery, tail.sampleEvery, 4, 3);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
        return PpoCommand.RlRuns.policyRun("rloo", group.policy, group.tokenizer, group.reward, group.prompts, group.out,
                group.resume, cfg,
                (loaded, rm, texts) -> new RlooTrainer(cfg, loaded.model(), loaded.tokenizer(), loaded.tokenizerFile(), rm, texts));
    }
}
