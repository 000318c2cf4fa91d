package dev.tandem.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.train.Plots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A shortened demo on the real stories260K: all three acts, end to end. */
class DemoTest {

    @Test
    void shortDemoBeatsTheOriginalOnGoldAndWritesTheReport(@TempDir Path tmp) throws Exception {
        LoopTestData.demoData();
        Path dir = tmp.resolve("demo");
        DemoConfig cfg = DemoConfig.builder(dir).pairs(240).steps(4).batchSize(64).evalSamples(6).seed(3).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        Demo.Result r;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            r = new Demo(cfg, out).run();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        String stdout = bytes.toString(StandardCharsets.UTF_8);
        System.err.print(stdout);
        System.err.printf(Locale.ROOT, "short demo: %.0f s%n", secs);

        GoldEvaluation e = r.evaluation();
        assertEquals(24 * 6, e.winRate().comparisons(), "6 samples for each of the 24 fresh prompts");
        assertTrue(e.winRate().rate() > 0.5, "the tuned policy should beat the original on gold: " + e.winRate());
        assertTrue(e.kl() > 0 && Double.isFinite(e.kl()), "a positive, finite KL to the reference: " + e.kl());
        Demo.Round round = r.rounds().get(0);
        assertTrue(round.rm().accuracy() > 0.5, "the reward model should beat chance on held-out pairs: " + round.rm().accuracy());
        assertEquals(4, round.curve().size());

        // stdout: results, simulated labelled, the win rate last
        List<String> lines = stdout.lines().toList();
        assertEquals(String.format(Locale.ROOT, "gold win-rate vs reference: %.2f", e.winRate().rate()), lines.get(lines.size() - 1));
        assertTrue(stdout.contains("SIMULATED annotator"));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("KL to reference: ")));

        // the feedback store holds the simulated judgements and the exported comparisons
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(r.feedbackDb()))) {
            Dataset d = store.datasetByName(Demo.DATASET).orElseThrow();
            assertEquals(round.collected().judgements(), store.judgements(d.id()).size());
            assertEquals(AnnotatorKind.SIMULATED, store.annotatorByName(FeedbackCollector.ANNOTATOR).orElseThrow().kind());
            assertTrue(store.responsesInDataset(d.id()).stream().allMatch(x -> x.model().modelVersion().equals("original")));
        }
        assertEquals(round.exported(), Files.readAllLines(dir.resolve("round-1/comparisons.jsonl")).size());
        assertTrue(Files.isDirectory(dir.resolve("round-1/policy/final")));
        assertTrue(Files.isRegularFile(dir.resolve("results.json")));
        assertEquals(4, Files.readAllLines(dir.resolve("round-1/curve.jsonl")).size());
        assertTrue(Files.readString(dir.resolve("round-1/curve.jsonl")).contains("\"gold_reward\""));

        // the report: charts inline, model text escaped
        String html = Files.readString(r.report());
        assertTrue(html.split("<svg ", -1).length - 1 >= 6, "six inline SVG charts");
        assertTrue(html.contains("Gain in reward vs KL"));
        assertTrue(html.contains("Calibration on held-out comparisons"));
        assertEquals(3, e.examples().size());
        for (GoldEvaluation.Example x : e.examples()) {
            assertTrue(html.contains(Plots.esc(x.before())), "original story in the report");
            assertTrue(html.contains(Plots.esc(x.after())), "tuned story in the report");
        }
        assertFalse(html.contains("<script"));

        // a second demo into the same directory is refused
        IOException again = assertThrows(IOException.class, () -> new Demo(cfg, new PrintStream(new ByteArrayOutputStream())).run());
        assertTrue(again.getMessage().contains("already holds a demo run"), again.getMessage());
    }
}
