package dev.tandem.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.feedback.sim.GoldPreference;
import dev.tandem.feedback.sim.Lexicon;
import dev.tandem.feedback.sim.SimulatedAnnotator;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.reward.PreferenceData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What reaches reward modelling and policy optimisation is the simulated annotator's comparisons read back from the
 * store: texts and the preferred side, never a gold score.
 */
class TrainingDataTest {
    static final Lexicon TOY = Lexicon.of("toy", Map.of("happy", 3f, "fun", 2f, "sad", -2f, "cried", -2f));

    static List<PairGenerator.Candidate> candidates() {
        List<PairGenerator.Candidate> c = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String happy = "Tim was happy " + i + " and had fun with his dog.";
            String sad = "Tim was sad " + i + " and cried by the tree.";
            String prompt = "Prompt " + (i % 4) + ".";
            c.add(i % 2 == 0 ? new PairGenerator.Candidate(prompt, happy, sad) : new PairGenerator.Candidate(prompt, sad, happy));
        }
        return c;
    }

    @Test
    void exportedComparisonsCarryOnlyTextsAndThePreferredSide(@TempDir Path dir) throws Exception {
        GoldPreference gold = new GoldPreference(TOY, 1f, 4f);
        // temperature tiny, no slips: the annotator always prefers the story the gold scores higher
        SimulatedAnnotator annotator = new SimulatedAnnotator(gold, 1e-3, 0.0, 7);
        List<PairGenerator.Candidate> pairs = candidates();
        Set<String> goldScores = new HashSet<>();
        for (PairGenerator.Candidate c : pairs) {
            goldScores.add(Double.toString(gold.score(c.first())));
            goldScores.add(Double.toString(gold.score(c.second())));
        }
        Path file = dir.resolve("comparisons.jsonl");
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(dir.resolve("feedback.db")))) {
            FeedbackCollector collector = new FeedbackCollector(store, annotator, "demo");
            FeedbackCollector.Collected got = collector.collect(pairs,
                    new Response.ModelInfo("stories260K", "original", Map.of("temperature", "1.0")), 1);
            assertEquals(30, got.tasks());
            assertEquals(30, got.judgements());
            assertEquals(1.0, got.goldAgreement(), "no noise: the annotator follows its gold order");
            assertEquals(30, collector.export(file));

            // the store holds simulated judgements with nothing but the choice
            assertEquals(AnnotatorKind.SIMULATED, store.annotatorByName(FeedbackCollector.ANNOTATOR).orElseThrow().kind());
            List<Judgement> js = store.judgements(collector.dataset().id());
            assertEquals(30, js.size());
            for (Judgement j : js) {
                JudgementPayload.Pairwise p = (JudgementPayload.Pairwise) j.payload();
                assertNull(p.strength());
                assertNull(p.comment());
                assertNull(j.confidence());
                assertEquals(collector.annotator().id(), j.annotatorId());
            }
            for (Response r : store.responsesInDataset(collector.dataset().id())) {
                assertEquals("original", r.model().modelVersion());
                assertEquals("stories260K", r.model().modelId());
            }
        }

        // the export has exactly prompt, chosen, rejected: strings, no numbers at all
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(30, lines.size());
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            Set<String> keys = new HashSet<>();
            n.fieldNames().forEachRemaining(keys::add);
            assertEquals(Set.of("prompt", "chosen", "rejected"), keys, line);
            n.forEach(v -> assertTrue(v.isTextual(), "only texts in " + line));
            for (String g : goldScores) assertFalse(line.contains(g), "gold score " + g + " leaked into " + line);
        }

        // what the reward trainer and DPO read back: pairs of texts, the happy story chosen every time
        PreferenceData data = FeedbackCollector.read(file);
        assertEquals(30, data.size());
        for (PreferenceRecord r : data.records()) {
            PreferenceRecord.Pair p = assertInstanceOfPair(r);
            assertNull(p.strength());
            assertTrue(p.chosen().contains("happy") && p.rejected().contains("sad"), p.toString());
        }
    }

    @Test
    void laterRoundsAddToTheSameDataset(@TempDir Path dir) {
        SimulatedAnnotator annotator = new SimulatedAnnotator(new GoldPreference(TOY, 1f, 4f), 0.5, 0.1, 1);
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(dir.resolve("feedback.db")))) {
            FeedbackCollector collector = new FeedbackCollector(store, annotator, "demo");
            collector.collect(candidates().subList(0, 3), new Response.ModelInfo("m", "v1", Map.of()), 1);
            FeedbackCollector.Collected second = collector.collect(candidates().subList(3, 6),
                    new Response.ModelInfo("m", "v2", Map.of()), 2);
            assertEquals(3, second.judgements());
            assertEquals(6, store.judgements(collector.dataset().id()).size());
        }
    }

    private static PreferenceRecord.Pair assertInstanceOfPair(PreferenceRecord r) {
        assertTrue(r instanceof PreferenceRecord.Pair, "expected a pair, got " + r);
        return (PreferenceRecord.Pair) r;
    }
}
