package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy-optimisation commands end to end on stories260K, tiny settings: outputs, run directories, errors. */
class RlCommandsTest {
    @TempDir Path tmp;

    private static String lastLine(String out) {
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void ppoRunsResumesAndRefusesToOverwrite() throws Exception {
        CliTestSupport.realData("models/stories260K/stories260K.bin");
        CliTestSupport.realData("lexicons/afinn/AFINN-en-165.txt");
        Path out = tmp.resolve("ppo");
        String[] args = {"ppo", "--reward", "builtin:sentiment", "--steps", "2", "--batch-size", "8", "--max-new-tokens",
            "8", "--minibatches", "2", "--checkpoint-every", "1", "--out", out.toString()};
        var r = CliTestSupport.run(args);
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.out().contains("final model: " + out.resolve("final")), r.out());
        assertTrue(lastLine(r.out()).startsWith("kl: "), r.out());
        assertTrue(r.out().contains("(builtin:sentiment, programmatic)"), r.out());
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        JsonNode cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("ppo", cfg.get("algorithm").asText());
        assertEquals(0, cfg.get("config").get("seed").asInt());

        var again = CliTestSupport.run(args);
        assertEquals(2, again.exitCode());
        assertTrue(again.stderr().contains("--resume"), again.stderr());

        String[] more = args.clone();
        more[4] = "3";
        var resumed = CliTestSupport.run(concat(more, "--resume"));
        assertEquals(0, resumed.exitCode(), resumed.stderr());
        assertEquals(3, Files.readAllLines(out.resolve("metrics.jsonl")).size());

        var changed = CliTestSupport.run(concat(more, "--resume", "--lr", "1e-3"));
        assertEquals(2, changed.exitCode());
        assertTrue(changed.stderr().contains("config.learningRate"), changed.stderr());
    }

    @Test
    void ppoAgainstALearnedRewardModel() throws Exception {
        CliTestSupport.realData("models/stories260K/stories260K.bin");
        Path csv = CliTestSupport.realData("preferences/ukpconvarg1/strict/is-porn-wrong-_yes-porn-is-wrong.csv");
        Path rm = tmp.resolve("rm");
        var t = CliTestSupport.run("rm", "train", "--train", "ukpconvarg:" + csv, "--eval",
                "ukpconvarg:" + csv.resolveSibling("is-porn-wrong-_no-is-is-not.csv"), "--kind", "linear", "--epochs", "1",
                "--hash-bits", "12", "--out", rm.toString());
        assertEquals(0, t.exitCode(), t.stderr());
        var r = CliTestSupport.run("ppo", "--reward", rm.toString(), "--steps", "1", "--batch-size", "4",
                "--minibatches", "1", "--max-new-tokens", "8", "--out", tmp.resolve("ppo-rm").toString());
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.out().contains("score: ") && !r.out().contains("programmatic"), r.out());
        JsonNode cfg = new ObjectMapper().readTree(tmp.resolve("ppo-rm").resolve("config.json").toFile());
        assertEquals(false, cfg.get("reward_programmatic").asBoolean());
    }

    @Test
    void missingRewardModelIsAOneLineError() {
        var r = CliTestSupport.run("ppo", "--reward", tmp.resolve("no-such-rm").toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("error:") && r.stderr().contains("tandem rm train"), r.stderr());
        var b = CliTestSupport.run("grpo", "--reward", "builtin:toxicity", "--out", tmp.resolve("y").toString());
        assertEquals(2, b.exitCode());
        assertTrue(b.stderr().contains("unknown builtin reward"), b.stderr());
        var k = CliTestSupport.run("rloo", "--reward", "builtin:length", "--k", "1", "--out", tmp.resolve("z").toString());
        assertEquals(2, k.exitCode());
        assertTrue(k.stderr().contains("samplesPerPrompt must be >= 2"), k.stderr());
    }

    @Test
    void bestOfNPrintsOneJsonLinePerPrompt() throws Exception {
        CliTestSupport.realData("models/stories260K/stories260K.bin");
        Path prompts = Files.write(tmp.resolve("p.txt"), List.of("Tom had a ball.", "", "The sun was hot."));
        var r = CliTestSupport.run("best-of-n", "--reward", "builtin:length:5", "--n", "3", "--max-new-tokens", "12",
                "--prompts", prompts.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals("Tom had a ball.", first.get("prompt").asText());
        assertEquals(3, first.get("candidates").size());
        double best = first.get("score").asDouble();
        for (JsonNode s : first.get("scores")) assertTrue(s.asDouble() <= best);
        assertTrue(r.stderr().contains("best-of-3"), r.stderr());
    }

    @Test
    void dpoAndSftOnSmallFiles() throws Exception {
        CliTestSupport.realData("models/stories260K/stories260K.bin");
        StringBuilder pairs = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            pairs.append("{\"prompt\": \"Story ").append(i).append(".\", \"chosen\": \"They were happy and had fun.\", ")
                    .append("\"rejected\": \"They were sad and cried.\", \"group\": \"g").append(i).append("\"}\n");
        }
        Path data = Files.writeString(tmp.resolve("pairs.jsonl"), pairs.toString());
        var d = CliTestSupport.run("dpo", "--train", "jsonl:" + data, "--split", "0.25", "--steps", "3", "--batch-size",
                "4", "--warmup-steps", "0", "--out", tmp.resolve("dpo").toString());
        assertEquals(0, d.exitCode(), d.stderr());
        assertTrue(lastLine(d.out()).matches("eval accuracy: [01]\\.\\d{3}"), d.out());

        Path demos = Files.writeString(tmp.resolve("demos.jsonl"),
                "{\"prompt\": \"Tom had a ball.\", \"response\": \"He played with it.\"}\n"
                        + "{\"prompt\": \"Sue saw a cat.\", \"completion\": \"The cat was soft.\"}\n");
        var s = CliTestSupport.run("sft", "--data", demos.toString(), "--steps", "2", "--batch-size", "2",
                "--eval-fraction", "0", "--warmup-steps", "0", "--out", tmp.resolve("sft").toString());
        assertEquals(0, s.exitCode(), s.stderr());
        assertTrue(Files.isDirectory(tmp.resolve("sft").resolve("final")));
        var bad = CliTestSupport.run("sft", "--data", "no/such/file.jsonl", "--out", tmp.resolve("sft2").toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.stderr().contains("data not found"), bad.stderr());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
