package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem rm train|eval|score} on real UKPConvArg files: output format, reports, errors. */
class RmCommandTest {
    @TempDir Path tmp;

    private static String lastLine(String out) {
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void trainEvalScoreOnUnseenDebates() throws Exception {
        Path strict = CliTestSupport.realData("preferences/ukpconvarg1/strict/is-porn-wrong-_yes-porn-is-wrong.csv").getParent();
        String[] train = {"christianity-or-atheism-_atheism", "christianity-or-atheism-_christianity",
            "pro-choice-vs-pro-life_pro-choice", "pro-choice-vs-pro-life_pro-life"};
        Path out = tmp.resolve("run");
        var r = CliTestSupport.run("rm", "train",
                "--train", "ukpconvarg:" + strict.resolve(train[0] + ".csv"), "--train", "ukpconvarg:" + strict.resolve(train[1] + ".csv"),
                "--train", "ukpconvarg:" + strict.resolve(train[2] + ".csv"), "--train", "ukpconvarg:" + strict.resolve(train[3] + ".csv"),
                "--eval", "ukpconvarg:" + strict.resolve("is-porn-wrong-_yes-porn-is-wrong.csv"),
                "--eval", "ukpconvarg:" + strict.resolve("is-porn-wrong-_no-is-is-not.csv"),
                "--kind", "linear", "--epochs", "3", "--hash-bits", "14", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        String last = lastLine(r.out());
        assertTrue(last.matches("eval accuracy: [01]\\.\\d{3}"), last);
        double acc = Double.parseDouble(last.substring("eval accuracy: ".length()));
        assertTrue(acc > 0.6, "accuracy on an unseen debate " + acc);
        var json = new ObjectMapper().readTree(out.resolve("eval.json").toFile());
        assertEquals(acc, json.get("accuracy").asDouble(), 0.0005);
        for (String k : List.of("loss", "margin", "ece", "length_spearman", "longer_wins_accuracy", "accuracy_shorter_chosen")) {
            assertTrue(json.has(k), k);
        }
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("Reliability") && html.contains("Reward vs response length"));

        var e = CliTestSupport.run("rm", "eval", "--model", out.toString(), "--data",
                "ukpconvarg:" + strict.resolve("is-porn-wrong-_no-is-is-not.csv"), "--out", tmp.resolve("ev").toString());
        assertEquals(0, e.exitCode(), e.stderr());
        assertTrue(lastLine(e.out()).matches("eval accuracy: [01]\\.\\d{3}"), e.out());
        assertTrue(Files.isRegularFile(tmp.resolve("ev").resolve("report.html")));

        var s = CliTestSupport.run("rm", "score", "--model", out.toString(), "--prompt", "Debate: x\nStance: y",
                "--response", "Because studies show it, and here is why: reasons.", "--response", "no");
        assertEquals(0, s.exitCode(), s.stderr());
        List<String> lines = s.out().lines().toList();
        assertEquals(2, lines.size(), s.out());
        for (String l : lines) Double.parseDouble(l);
    }

    @Test
    void badInputIsAOneLineError() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty.jsonl"), "");
        var r = CliTestSupport.run("rm", "train", "--train", "jsonl:" + empty, "--out", tmp.resolve("x").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("error:") && r.stderr().contains("no usable preference records"), r.stderr());
        Path pairs = Files.writeString(tmp.resolve("p.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        var w = CliTestSupport.run("rm", "train", "--train", "hh-rlhf:" + pairs, "--out", tmp.resolve("y").toString());
        assertEquals(2, w.exitCode());
        assertTrue(w.stderr().contains("p.jsonl:1"), w.stderr());
        var m = CliTestSupport.run("rm", "score", "--model", tmp.resolve("nothing").toString(), "--prompt", "p", "--response", "r");
        assertEquals(2, m.exitCode());
    }
}
