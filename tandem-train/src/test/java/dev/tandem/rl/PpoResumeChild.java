package dev.tandem.rl;

import dev.tandem.model.Models;
import dev.tandem.reward.RewardModel;
import dev.tandem.rl.rewards.BuiltinRewards;
import java.nio.file.Path;

/**
 * A PPO run in its own JVM, for the fault test to kill: {@code PpoResumeChild RUN_DIR [STEP_DELAY_MS]}. The delay
 * (test-only, between steps) gives the killer a window after each step.
 */
public final class PpoResumeChild {
    private PpoResumeChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long delay = args.length > 1 ? Long.parseLong(args[1]) : 0;
        PpoConfig cfg = PpoResumeTest.config();
        try (Models.Loaded m = Models.load("stories260K", null);
                RewardModel r = BuiltinRewards.resolve("builtin:sentiment", Models.dataDir());
                PpoTrainer t = new PpoTrainer(cfg, m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
            t.train(dir, RlFixtures.spec("ppo", cfg), false, s -> {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }
}
