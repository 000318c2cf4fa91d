package dev.tandem.rl;

import dev.tandem.model.Models;
import dev.tandem.reward.RewardModel;
import dev.tandem.rl.rewards.BuiltinRewards;
import java.io.IOException;
import java.util.Map;

/** The real model and reward the end-to-end tests share. */
final class RlFixtures {
    private RlFixtures() {}

    static Models.Loaded stories260K() throws IOException {
        TestData.stories260K();
        return Models.load("stories260K", null);
    }

    static RewardModel sentiment() throws IOException {
        TestData.afinn();
        return BuiltinRewards.resolve("builtin:sentiment", Models.dataDir());
    }

    /** A config.json description of a run. */
    static Map<String, Object> spec(String algorithm, Object config) {
        return Map.of("algorithm", algorithm, "policy", "stories260K", "reward", "builtin:sentiment", "config", config);
    }

    /** Mean of a metric over steps [from, to] (1-based, inclusive). */
    static double mean(java.util.List<Map<String, Double>> metrics, String key, int from, int to) {
        double s = 0;
        for (int i = from; i <= to; i++) s += metrics.get(i - 1).get(key);
        return s / (to - from + 1);
    }
}
