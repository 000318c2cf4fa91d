package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.Checkpoint;
import dev.tandem.model.Models;
import dev.tandem.train.MetricsLog;
import dev.tandem.train.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transformer reward model on the stories260K backbone: training lowers the loss; checkpoints; tokenizers. */
class TransformerRewardModelTest {
    @TempDir Path tmp;

    static TransformerRewardModel fromStories(int maxPrompt, int maxResponse) throws IOException {
        TestData.stories260K();
        try (Models.Loaded backbone = Models.load("stories260K", null)) {
            return TransformerRewardModel.fromBackbone(backbone, maxPrompt, maxResponse);
        }
    }

    @Test
    void trainingInShardsFollowsTheOneThreadRun() throws Exception {
        PreferenceData data = RewardTrainerTest.ukpSubset(20);
        // micro-batches of 7 comparisons (the last one 6), two per step: parts of 3, 2 and 2 comparisons
        TrainConfig cfg = TrainConfig.transformerDefaults().withEpochs(2).withBatch(7, 2).withLearningRate(3e-3f);
        List<String> ps = List.of("Debate: x\nStance: y", "Debate: x\nStance: y");
        List<String> rs = List.of("A careful argument with evidence.", "no");
        List<List<Map<String, Object>>> metrics = new ArrayList<>();
        List<float[]> scores = new ArrayList<>();
        for (int shards : new int[] {1, 3}) {
            RunDirectory run = RunDirectory.create(tmp.resolve("shards-" + shards));
            try (TrainableTransformer t = new TrainableTransformer(fromStories(16, 32), shards)) {
                assertEquals(shards > 1, t.parallel() != null);
                RewardTrainer.train(t, data, null, cfg, run, Map.of(), false, null);
                scores.add(t.current().score(ps, rs));
            }
            metrics.add(MetricsLog.read(run.metrics()));
        }
        assertEquals(metrics.get(0).size(), metrics.get(1).size());
        for (int i = 0; i < metrics.get(0).size(); i++) {
            for (String k : List.of("loss", "accuracy", "mean_reward", "margin", "grad_norm")) {
                double a = ((Number) metrics.get(0).get(i).get(k)).doubleValue();
                double b = ((Number) metrics.get(1).get(i).get(k)).doubleValue();
                assertEquals(a, b, 1e-4 * Math.max(1, Math.abs(a)), "step " + (i + 1) + " " + k);
            }
        }
        assertArrayEquals(scores.get(0), scores.get(1), 1e-4f);
        assertTrue(Math.abs(scores.get(0)[0] - scores.get(0)[1]) > 1e-3, "the model learned nothing to compare");
    }

    @Test
    void shortRunLowersTheLossAndRoundTrips() throws Exception {
        PreferenceData data = RewardTrainerTest.ukpSubset(40);
        TrainConfig cfg = TrainConfig.transformerDefaults().withEpochs(5).withBatch(8, 1).withLearningRate(3e-3f);
        RunDirectory run = RunDirectory.create(tmp.resolve("run"));
        Evaluation.Report before, after;
        float[] trainedScores;
        List<String> ps = List.of("Debate: x\nStance: y", "Debate: x\nStance: y");
        List<String> rs = List.of("A careful argument with evidence.", "no");
        try (TrainableTransformer t = new TrainableTransformer(fromStories(16, 32))) {
            before = Evaluation.evaluate(t.current(), data, 32);
            // the head starts at zero (InstructGPT-style init from the language model): every reward is 0
            assertEquals(Math.log(2), before.loss(), 1e-6);
            RewardTrainer.train(t, data, null, cfg, run, Map.of(), false, null);
            after = Evaluation.evaluate(t.current(), data, 32);
            trainedScores = t.current().score(ps, rs);
        }
        assertTrue(after.loss() < before.loss() - 0.05, "training loss " + before.loss() + " -> " + after.loss());
        List<Map<String, Object>> rows = MetricsLog.read(run.metrics());
        assertEquals(25, rows.size());
        // the saved model is a reward checkpoint and scores as the trained one did
        Checkpoint.Info info = Checkpoint.info(run.dir().resolve("model"));
        assertEquals("reward", info.metadata().get("kind"));
        assertTrue(info.scalarHead());
        try (RewardModel loaded = RewardModels.load(run.dir())) {
            assertTrue(loaded instanceof TransformerRewardModel);
            assertArrayEquals(trainedScores, loaded.score(ps, rs), 1e-5f);
        }
    }

    @Test
    void longTextsAreTruncatedLikeTheirFullEncoding() throws Exception {
        try (TransformerRewardModel m = fromStories(24, 20)) {
            String longPrompt = "Human: tell me a story about a dog called Max and his friend the little red bird. ".repeat(20)
                    + "\n\nAssistant:";
            int[] full = m.tokenizer().encode(longPrompt, true, false);
            int[] kept = m.promptTokens(longPrompt);
            assertEquals(24, kept.length);
            assertEquals(m.tokenizer().bos(), kept[0]);
            assertArrayEquals(java.util.Arrays.copyOfRange(full, full.length - 23, full.length),
                    java.util.Arrays.copyOfRange(kept, 1, 24));
            String longReply = "Once upon a time there was a happy dog who liked to play in the park with a ball. ".repeat(20);
            int[] fullReply = m.tokenizer().encode(longReply, false, true);
            assertArrayEquals(java.util.Arrays.copyOf(fullReply, 20), m.responseTokens(longReply));
            // a short reply keeps its EOS, where the head reads
            int[] shortReply = m.responseTokens("The end.");
            assertEquals(m.tokenizer().eos(), shortReply[shortReply.length - 1]);
        }
    }

    @Test
    void paddingDoesNotChangeARowsReward() throws Exception {
        try (TransformerRewardModel m = fromStories(32, 32)) {
            // a non-zero head so rewards differ
            float[] w = new float[m.model().config().dim()];
            for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i);
            m.model().parameters().get(dev.tandem.model.Llama.HEAD_WEIGHT).set(w);
            float[] alone = m.score(List.of("Once upon a time"), List.of("there was a cat."));
            float[] batched = m.score(List.of("A much longer prompt about a dog and a cat and a bird", "Once upon a time"),
                    List.of("short", "there was a cat."));
            assertEquals(alone[0], batched[1], 1e-4f);
        }
    }

    @Test
    void aMismatchedTokenizerIsRefused() throws Exception {
        Path dir = tmp.resolve("rm");
        try (TransformerRewardModel m = fromStories(16, 16)) {
            m.save(dir, 0, Map.of());
        }
        Path tok = TestData.stories260K();
        // the checkpoint's own tokenizer is accepted explicitly too
        RewardModels.load(dir, tok).close();
        byte[] bytes = Files.readAllBytes(tok);
        bytes[bytes.length - 1] ^= 1;
        Path other = Files.write(tmp.resolve("tok512.bin"), bytes);
        var e = assertThrows(IOException.class, () -> RewardModels.load(dir, other));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        // a language-model checkpoint is not a reward model
        Path lm = tmp.resolve("lm");
        try (Models.Loaded backbone = Models.load("stories260K", null)) {
            Checkpoint.save(backbone.model(), lm, backbone.tokenizerFile(), "llama2c", 0, Map.of("kind", "policy"));
        }
        var e2 = assertThrows(IOException.class, () -> RewardModels.load(lm));
        assertTrue(e2.getMessage().contains("not a reward model"), e2.getMessage());
    }

    @Test
    void trainingFromACheckpointRefusesAnotherTokenizer() throws Exception {
        Path lm = tmp.resolve("lm");
        try (Models.Loaded backbone = Models.load("stories260K", null)) {
            Checkpoint.save(backbone.model(), lm, backbone.tokenizerFile(), "llama2c", 0, Map.of("kind", "policy"));
        }
        byte[] bytes = Files.readAllBytes(TestData.stories260K());
        bytes[bytes.length - 1] ^= 1;
        Path other = Files.write(tmp.resolve("other-tok512.bin"), bytes);
        RewardRun.Spec spec = new RewardRun.Spec(List.of("jsonl:unused.jsonl"), List.of(), 0.2, null, 0, "transformer",
                lm.toString(), false, other, tmp.resolve("run"), false, 1, TrainConfig.transformerDefaults(),
                FeatureConfig.defaults(), 16, 16);
        // refused before any model is built (rm train --init CHECKPOINT --tokenizer OTHER)
        var e = assertThrows(IOException.class, () -> RewardRun.build(spec, null, 1).close());
        assertTrue(e.getMessage().contains("does not match") && e.getMessage().contains("other-tok512.bin"), e.getMessage());
    }
}
