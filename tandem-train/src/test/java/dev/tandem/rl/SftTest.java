package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.Models;
import dev.tandem.model.Scoring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFT on plain text (tinyshakespeare) and on demonstrations (loss on response tokens only). */
class SftTest {

    @Test
    void plainTextLowersHeldOutLoss(@TempDir Path dir) throws Exception {
        Path corpus = TestData.require("corpora/tinyshakespeare/input.txt");
        SftConfig cfg = SftConfig.builder().steps(25).batchSize(16).blockSize(64).learningRate(2e-3f).warmupSteps(3)
                .evalFraction(0.05).evalEvery(0).seed(1).checkpointEvery(0).build();
        SupervisedTrainer.RunResult res;
        try (Models.Loaded m = RlFixtures.stories260K()) {
            long t0 = System.nanoTime();
            SftData data = SftData.read(corpus, m.tokenizer(), 128, 128, cfg.blockSize(), cfg.evalFraction(), cfg.seed());
            System.err.printf("tokenised %s: %d training tokens in %.1f s%n", corpus.getFileName(), data.trainSize(),
                    (System.nanoTime() - t0) / 1e9);
            try (SftTrainer t = new SftTrainer(cfg, m.model(), m.tokenizer(), m.tokenizerFile(), data)) {
                res = t.train(dir.resolve("sft"), Map.of("algorithm", "sft", "data", corpus.toString(), "config", cfg),
                        false, null);
            }
        }
        double before = res.metrics().get(0L).get("eval/loss"), after = res.metrics().get(25L).get("eval/loss");
        System.err.printf("SFT tinyshakespeare: held-out loss %.3f -> %.3f (perplexity %.1f -> %.1f)%n", before, after,
                Math.exp(before), Math.exp(after));
        assertTrue(after < before - 0.3, "held-out loss should drop: " + before + " -> " + after);
        assertTrue(Files.isDirectory(res.finalModel()));
    }

    @Test
    void demonstrationLossCoversResponseTokensOnly(@TempDir Path dir) throws Exception {
        Path demos = dir.resolve("demos.jsonl");
        Files.write(demos, List.of(
                "{\"prompt\": \"Tom had a red ball.\", \"response\": \"He liked to play with it.\"}",
                "{\"prompt\": \"The sun was hot.\", \"completion\": \"Lily went to swim in the pool.\"}",
                "",
                "{\"prompt\": \"One day, a cat came.\", \"response\": \"It was very hungry.\"}",
                "{\"prompt\": \"Ben saw a bird.\", \"response\": \"The bird sang a happy song.\"}"));
        SftConfig cfg = SftConfig.builder().steps(2).batchSize(2).evalFraction(0.5).evalEvery(0).checkpointEvery(0).build();
        try (Models.Loaded m = RlFixtures.stories260K()) {
            SftData data = SftData.read(demos, m.tokenizer(), 64, 64, 64, 0.5, 0);
            List<SftData.Example> held = data.heldOut();
            assertEquals(2, held.size());
            assertEquals(2, data.trainSize());
            // by hand: the mean of −log p over the held-out responses' tokens under the untouched model
            int[][] p = {held.get(0).prompt(), held.get(1).prompt()}, r = {held.get(0).response(), held.get(1).response()};
            Scoring.Scores s = Scoring.score(m.model(), p, r, 1f, 0);
            double sum = 0;
            int n = 0;
            for (float[] row : s.logProbs()) {
                for (float v : row) sum -= v;
                n += row.length;
            }
            assertEquals(m.tokenizer().eos(), r[0][r[0].length - 1], "responses end with EOS");
            try (SftTrainer t = new SftTrainer(cfg, m.model(), m.tokenizer(), null, data)) {
                assertEquals(sum / n, t.evaluate().get("eval/loss"), 1e-4);
            }
        }
        Path bad = dir.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"prompt\": \"a\", \"response\": \"b\"}", "{\"prompt\": \"a\"}"));
        try (Models.Loaded m = RlFixtures.stories260K()) {
            IOException e = assertThrows(IOException.class, () -> SftData.read(bad, m.tokenizer(), 8, 8, 8, 0, 0));
            assertTrue(e.getMessage().contains("bad.jsonl:2") && e.getMessage().contains("'completion'"), e.getMessage());
        }
    }
}
