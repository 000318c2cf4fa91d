package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.model.Models;
import dev.tandem.model.SamplingConfig;
import dev.tandem.reward.PreferenceData;
import dev.tandem.reward.RewardModel;
import dev.tandem.reward.Splits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DPO and IPO on preference pairs between stories260K's own continuations, labelled by a SIMULATED annotator (the
 * AFINN sentiment of the continuation, a program, not people): the implicit reward must learn to rank held-out pairs
 * — whose prompts never appear in training — better than chance.
 */
class DpoTest {
    static Path pairsFile;

    @BeforeAll
    static void simulatedPreferences(@TempDir Path dir) throws Exception {
        pairsFile = dir.resolve("simulated-sentiment-pairs.jsonl");
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel annotator = RlFixtures.sentiment()) {
            List<String> prompts = Prompts.STORY_OPENINGS;
            int k = 32;
            int[] idx = new int[prompts.size() * k];
            for (int i = 0; i < idx.length; i++) idx[i] = i / k;
            PromptSource src = new PromptSource(prompts, m.tokenizer(), 64, 0);
            Rollout r = Rollout.sample(m.model(), m.tokenizer(), src.texts(idx), src.tokens(idx),
                    SamplingConfig.sample(1f, 24, 11));
            float[] s = annotator.score(r.prompts(), r.texts());
            for (int i = 0; i + 1 < idx.length; i += 2) {
                if (Math.abs(s[i] - s[i + 1]) < 2) continue; // the simulated annotator only states clear preferences
                boolean first = s[i] > s[i + 1];
                lines.add(json.writeValueAsString(Map.of("prompt", r.prompts().get(i),
                        "chosen", r.texts().get(first ? i : i + 1), "rejected", r.texts().get(first ? i + 1 : i),
                        "group", "prompt-" + idx[i])));
            }
        }
        Files.write(pairsFile, lines);
    }

    @Test
    void dpoRaisesHeldOutImplicitRewardAccuracy(@TempDir Path dir) throws Exception {
        run(dir, PreferenceLoss.Kind.SIGMOID, 0.1f, 5e-4f);
    }

    @Test
    void ipoRaisesHeldOutImplicitRewardAccuracy(@TempDir Path dir) throws Exception {
        run(dir, PreferenceLoss.Kind.IPO, 0.5f, 5e-4f);
    }

    private static void run(Path dir, PreferenceLoss.Kind kind, float beta, float lr) throws Exception {
        DpoConfig cfg = DpoConfig.builder().steps(30).batchSize(16).learningRate(lr).warmupSteps(4).beta(beta)
                .loss(kind).maxPromptTokens(32).maxResponseTokens(32).evalEvery(0).seed(2).checkpointEvery(0).build();
        PreferenceData data = PreferenceData.load(List.of("jsonl:" + pairsFile));
        Splits.Split split = Splits.byGroup(data, 0.25, 1);
        SupervisedTrainer.RunResult res;
        int trainPairs, evalPairs;
        try (Models.Loaded m = RlFixtures.stories260K()) {
            PreferencePairs train = PreferencePairs.of(split.train(), m.tokenizer(), 32, 32);
            PreferencePairs eval = PreferencePairs.of(split.eval(), m.tokenizer(), 32, 32);
            trainPairs = train.size();
            evalPairs = eval.size();
            try (DpoTrainer t = new DpoTrainer(cfg, m.model(), m.tokenizer(), m.tokenizerFile(), train.pairs(), eval.pairs())) {
                res = t.train(dir.resolve("run"), Map.of("algorithm", t.algorithm(), "config", cfg), false, null);
            }
        }
        Map<String, Double> before = res.metrics().get(0L), after = res.metrics().get(30L);
        System.err.printf("%s: %d train / %d held-out simulated pairs; held-out accuracy %.3f -> %.3f, margin %.3f -> %.3f,"
                        + " loss %.4f -> %.4f%n", kind, trainPairs, evalPairs, before.get("eval/rewards/accuracies"),
                after.get("eval/rewards/accuracies"), before.get("eval/rewards/margins"),
                after.get("eval/rewards/margins"), before.get("eval/loss"), after.get("eval/loss"));
        assertTrue(evalPairs >= 50, "enough held-out pairs: " + evalPairs);
        // before training the policy is the reference: every implicit reward is 0
        assertEquals(0.0, before.get("eval/rewards/margins"), 1e-6);
        // chance is 0.5; with ~80 held-out pairs 0.6 is about two standard errors above it
        assertTrue(after.get("eval/rewards/accuracies") >= 0.6, "held-out accuracy: " + after.get("eval/rewards/accuracies"));
        assertTrue(after.get("eval/rewards/margins") > 0);
        assertTrue(after.get("eval/loss") < before.get("eval/loss"));
        for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins")) {
            assertTrue(after.containsKey(key), key);
        }
    }
}
