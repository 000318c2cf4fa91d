package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.Models;
import dev.tandem.reward.RewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GRPO and RLOO on the real stories260K with the AFINN sentiment reward: k samples per prompt, no value model. */
class GroupTrainersTest {

    @Test
    void grpoRaisesTheSentimentReward(@TempDir Path dir) throws Exception {
        GrpoConfig cfg = GrpoConfig.builder().steps(10).promptsPerStep(8).samplesPerPrompt(4).maxNewTokens(24)
                .learningRate(3e-4f).beta(0.1f).epochs(1).minibatches(2).seed(3).checkpointEvery(0).build();
        List<Map<String, Double>> mt;
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel r = RlFixtures.sentiment();
                GrpoTrainer t = new GrpoTrainer(cfg, m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
            mt = t.train(dir.resolve("grpo"), RlFixtures.spec("grpo", cfg), false, null).metrics();
        }
        check("GRPO", mt, dir.resolve("grpo"));
        // on-policy first update: the ratio is exactly 1
        assertEquals(1.0, mt.get(0).get("val/ratio"), 0.05);
    }

    @Test
    void rlooRaisesTheSentimentReward(@TempDir Path dir) throws Exception {
        RlooConfig cfg = RlooConfig.builder().steps(10).promptsPerStep(8).samplesPerPrompt(4).maxNewTokens(24)
                .learningRate(3e-4f).klCoef(0.2f).epochs(1).minibatches(2).seed(3).checkpointEvery(0).build();
        List<Map<String, Double>> mt;
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel r = RlFixtures.sentiment();
                RlooTrainer t = new RlooTrainer(cfg, m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
            mt = t.train(dir.resolve("rloo"), RlFixtures.spec("rloo", cfg), false, null).metrics();
        }
        check("RLOO", mt, dir.resolve("rloo"));
        assertTrue(mt.get(9).get("objective/non_score_reward") < 0, "the KL penalty enters the reward");
    }

    private static void check(String name, List<Map<String, Double>> mt, Path run) throws Exception {
        double before = RlFixtures.mean(mt, "reward", 1, 2), after = RlFixtures.mean(mt, "reward", 8, 10);
        double kl = RlFixtures.mean(mt, "objective/kl", 8, 10);
        System.err.printf("%s sentiment: reward %.3f -> %.3f, KL %.2f nats/response, zero-spread groups %.2f%n", name,
                before, after, kl, mt.get(9).get("frac_reward_zero_std"));
        assertTrue(after > before + 1.5, name + ": mean reward should rise clearly: " + before + " -> " + after);
        assertTrue(kl > 0 && kl < 30, name + ": KL should stay bounded: " + kl);
        for (Map<String, Double> m : mt) {
            for (String key : List.of("reward", "reward_std", "frac_reward_zero_std", "kl", "completion_length")) {
                assertTrue(m.containsKey(key), key);
            }
        }
        assertEquals(10, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    }
}
