package dev.tandem.rl.rewards;

import dev.tandem.model.Models;
import dev.tandem.reward.RewardModel;
import dev.tandem.reward.RewardModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The reward for policy optimisation from a command-line spec: {@code builtin:NAME[:ARG]} or a reward model directory. */
public final class Rewards {
    private Rewards() {}

    /**
     * @param spec a builtin programmatic reward, or a directory written by {@code tandem rm train} (a reward model
     *             reads text, so it keeps its own tokenizer whatever the policy's)
     */
    public static RewardModel resolve(String spec) throws IOException {
        if (BuiltinRewards.isBuiltin(spec)) return BuiltinRewards.resolve(spec, Models.dataDir());
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw new IOException("reward '" + spec + "' is neither builtin:sentiment / builtin:length[:WORDS] nor a "
                    + "reward model directory (train one with `tandem rm train`)");
        }
        return RewardModels.load(dir);
    }
}
