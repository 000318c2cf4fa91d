package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem experiment active-learning}, shortened: pairs from stories260K, two strategies, curves and chart. */
class ActiveLearningCommandTest {
    @TempDir Path tmp;

    @Test
    void writesCurvesSummaryAndChart() throws Exception {
        CliTestSupport.realData("models/stories260K/stories260K.bin");
        CliTestSupport.realData("lexicons/vader/vader_lexicon.txt");
        Path out = tmp.resolve("al");
        var r = CliTestSupport.run("experiment", "active-learning", "--out", out.toString(), "--pool", "60", "--held-out", "20",
                "--budget", "40", "--batch", "10", "--initial", "10", "--seeds", "1", "--members", "2", "--max-new-tokens", "24");
        assertEquals(0, r.exitCode(), r.stderr());
        List<String> lines = r.out().lines().filter(l -> !l.isBlank()).toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.matches("judgements to reach gold accuracy 0\\.\\d{3}: active (\\d+|not reached), random \\d+"), last);
        assertTrue(r.stderr().contains("SIMULATED annotator"), "labelled as simulated");
        List<String> curve = Files.readAllLines(out.resolve("curves.jsonl"));
        assertEquals(2 * 4, curve.size(), "two strategies × labels 10, 20, 30, 40");
        var summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals(40, summary.path("settings").path("budget").asInt());
        assertTrue(summary.path("settings").path("annotator").asText().startsWith("SIMULATED"));
        String svg = Files.readString(out.resolve("active-learning.svg"));
        assertTrue(svg.startsWith("<svg") && svg.contains("active: ensemble disagreement") && svg.contains("random"), svg);
        // a second run reuses the generated pairs
        var again = CliTestSupport.run("experiment", "active-learning", "--out", out.toString(), "--pool", "60", "--held-out", "20",
                "--budget", "40", "--batch", "10", "--initial", "10", "--seeds", "1", "--members", "2");
        assertEquals(0, again.exitCode(), again.stderr());
        assertTrue(again.stderr().contains("read "), again.stderr());
        assertEquals(r.out().lines().reduce((a, b) -> b).orElseThrow(), again.out().lines().reduce((a, b) -> b).orElseThrow(), "deterministic");
    }
}
