package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.Checkpoint;
import dev.tandem.model.Models;
import dev.tandem.model.Scoring;
import dev.tandem.reward.RewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PPO on the real stories260K with the AFINN sentiment of the continuation as a programmatic reward. */
class PpoTest {

    static PpoConfig.Builder e2e() {
        return PpoConfig.builder().steps(15).batchSize(32).maxNewTokens(24).learningRate(3e-4f).klCoef(0.2f)
                .epochs(2).minibatches(2).seed(1).checkpointEvery(0).sampleEvery(5);
    }

    @Test
    void logProbsInTheLossEqualTheSamplersSoTheFirstRatioIsOne(@TempDir Path dir) throws Exception {
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel r = RlFixtures.sentiment();
                PpoTrainer t = new PpoTrainer(e2e().steps(1).batchSize(8).minibatches(2).build(), m.model(),
                        m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
            StepResult s = t.step(1);
            // the scoring forward reproduces the sampler's own log-probs for the same tokens
            for (int b = 0; b < s.rollout().rows(); b++) {
                float[] sampled = s.rollout().samplerLogp()[b], scored = s.logp()[b];
                assertEquals(sampled.length, scored.length);
                for (int i = 0; i < sampled.length; i++) assertEquals(sampled[i], scored[i], 2e-4f, "row " + b + " token " + i);
            }
            // ... and an independent scorer (libtorch, another summation order) agrees to float rounding, as in
            // SamplerConsistencyTest
            Scoring.Scores indep = Scoring.score(m.model(), s.rollout().promptTokens(), s.rollout().responses(), 1f, 0);
            for (int b = 0; b < s.rollout().rows(); b++) {
                for (int i = 0; i < s.logp()[b].length; i++) assertEquals(indep.logProbs()[b][i], s.logp()[b][i], 1e-4f);
            }
            // the first minibatch runs before any update: ratio 1 and approximate KL 0
            assertEquals(1.0, s.minibatchRatios()[0], 1e-5);
            assertEquals(0.0, s.minibatchApproxKl()[0], 1e-9);
            assertEquals(0.0, s.metrics().get("objective/kl"), 1e-3, "policy = reference at step 1");
            // later minibatches see the updated policy
            assertTrue(Math.abs(s.minibatchRatios()[1] - 1) > 1e-7 || s.minibatchApproxKl()[1] > 0);
        }
    }

    @Test
    void sentimentRewardRisesWithBoundedKlAndRunsAreReproducible(@TempDir Path dir) throws Exception {
        PpoConfig cfg = e2e().build();
        List<StepResult> steps = new ArrayList<>();
        PolicyTrainer.RunResult run;
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel r = RlFixtures.sentiment();
                PpoTrainer t = new PpoTrainer(cfg, m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
            run = t.train(dir.resolve("ppo"), RlFixtures.spec("ppo", cfg), false, steps::add);
        }
        List<Map<String, Double>> mt = run.metrics();
        double before = RlFixtures.mean(mt, "objective/scores", 1, 2), after = RlFixtures.mean(mt, "objective/scores", 13, 15);
        double kl = RlFixtures.mean(mt, "objective/kl", 13, 15);
        System.err.printf("PPO sentiment: score %.3f -> %.3f, KL %.2f nats/response, warnings %s%n", before, after, kl,
                run.warnings());
        assertTrue(after > before + 2.5, "mean AFINN score should rise clearly: " + before + " -> " + after);
        assertTrue(kl > 0.5 && kl < 20, "KL to the reference should move but stay bounded: " + kl);
        // the run directory holds everything
        Path d = run.directory();
        assertTrue(Files.readString(d.resolve("config.json")).contains("\"seed\" : 1"));
        assertEquals(15, Files.readAllLines(d.resolve("metrics.jsonl")).size());
        assertTrue(Files.readString(d.resolve("metrics.jsonl")).contains("\"objective/rlhf_reward\""));
        assertTrue(Files.exists(d.resolve("metrics.csv")));
        assertEquals(4 * 4, Files.readAllLines(d.resolve("samples.jsonl")).size(), "steps 1, 5, 10, 15, 4 samples each");
        assertTrue(Files.isDirectory(d.resolve("checkpoints/step-000015")));
        assertEquals("ppo", Checkpoint.info(run.finalModel()).metadata().get("algorithm"));
        try (Models.Loaded tuned = Models.load(run.finalModel().toString(), null)) {
            assertTrue(!tuned.model().hasScalarHead(), "the final policy carries the LM head only");
        }

        // the same seed gives the same numbers
        PpoConfig shortCfg = e2e().steps(2).build();
        List<Map<String, Double>> again = new ArrayList<>();
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel r = RlFixtures.sentiment();
                PpoTrainer t = new PpoTrainer(shortCfg, m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
            t.train(dir.resolve("again"), RlFixtures.spec("ppo", shortCfg), false, s -> again.add(s.metrics()));
        }
        for (int i = 0; i < 2; i++) {
            for (var e : again.get(i).entrySet()) {
                if (e.getKey().startsWith("time/")) continue;
                assertEquals(mt.get(i).get(e.getKey()), e.getValue(), 1e-6 * (1 + Math.abs(e.getValue())),
                        "step " + (i + 1) + " " + e.getKey());
            }
        }
    }
}
