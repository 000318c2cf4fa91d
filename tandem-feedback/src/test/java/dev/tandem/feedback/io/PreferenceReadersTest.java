package dev.tandem.feedback.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.JudgementPayload.Strength;
import dev.tandem.feedback.testing.TestData;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure streaming readers, on the real files and on hand-made malformed ones. */
class PreferenceReadersTest {
    @TempDir Path tmp;

    private static List<PreferenceRecord> all(PreferenceFormat f, Path p) {
        try (Stream<PreferenceRecord> s = f.read(p)) {
            return s.toList();
        }
    }

    @Test
    void hhRlhfSplitsTranscriptsIntoPromptAndReplies() throws IOException {
        Path file = TestData.require("preferences/hh-rlhf/harmless-base-test.jsonl.gz");
        List<PreferenceRecord> records = all(PreferenceFormat.HH_RLHF, file);
        assertEquals(2312, records.size());
        ObjectMapper m = new ObjectMapper();
        int lineNo = 0;
        try (BufferedReader r = Lines.open(file)) {
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode o = m.readTree(line);
                var p = (PreferenceRecord.Pair) records.get(lineNo++);
                assertEquals(lineNo, p.source().line());
                assertTrue(p.prompt().startsWith("\n\nHuman: ") && p.prompt().endsWith("\n\nAssistant:"), p.source().toString());
                // lossless: the prompt plus the reply gives back the original transcript
                String sep = o.get("chosen").asText().startsWith(p.prompt() + " ") ? " " : "";
                assertEquals(o.get("chosen").asText(), p.prompt() + sep + p.chosen(), p.source().toString());
                String sepR = o.get("rejected").asText().startsWith(p.prompt() + " ") ? " " : "";
                assertEquals(o.get("rejected").asText(), p.prompt() + sepR + p.rejected(), p.source().toString());
                assertNull(p.strength());
            }
        }
        // line 1255 has inline "Human:" text inside the final reply: the split uses the shared conversation
        var odd = (PreferenceRecord.Pair) records.get(1254);
        assertTrue(odd.prompt().endsWith("Isn't that drag kings?\n\nAssistant:"), odd.prompt());
        assertTrue(odd.chosen().contains("Human: Then how do they come to be called drag kings"));
    }

    @Test
    void oasstRankedSiblingsBecomeRankings() {
        Path file = TestData.require("preferences/oasst/en_100_tree.jsonl");
        List<PreferenceRecord> records = all(PreferenceFormat.OASST, file);
        assertEquals(212, records.size(), "README: 212 ranked groups");
        assertEquals(754, records.stream().mapToInt(r -> ((PreferenceRecord.Ranked) r).pairs().size()).sum(), "README: about 754 pairs");
        var first = (PreferenceRecord.Ranked) records.get(0);
        assertEquals("\n\nHuman: How can I find the best 401k plan for my needs?\n\nAssistant:", first.prompt());
        assertEquals(List.of(0, 1, 2), first.ranks());
        assertTrue(first.responses().get(0).startsWith("The first step is to research your options."));
        assertEquals("054e1df3-35e0-4bb8-a585-607dbdcd24e0", first.groupKey());
        assertEquals("054e1df3-35e0-4bb8-a585-607dbdcd24e0", first.source().item());
        // deeper groups carry the conversation up to their parent
        assertTrue(records.stream().anyMatch(r -> r.prompt().split("\n\nAssistant: ").length > 1 && r.prompt().contains("\n\nHuman: ")));
        Set<String> trees = new HashSet<>();
        records.forEach(r -> trees.add(r.groupKey()));
        assertTrue(trees.size() <= 100);
    }

    @Test
    void ukpConvArgPairsWithDebatePrompts() {
        Path dir = TestData.require("preferences/ukpconvarg1");
        List<PreferenceRecord> records = all(PreferenceFormat.UKPCONVARG, dir);
        assertEquals(8423, records.size(), "8447 lines minus 24 headers");
        Set<String> prompts = new HashSet<>();
        records.forEach(r -> prompts.add(r.prompt()));
        assertEquals(24, prompts.size());
        assertTrue(prompts.contains("Debate: is porn wrong\nStance: no is is not"));
        var p = (PreferenceRecord.Pair) all(PreferenceFormat.UKPCONVARG, dir.resolve("strict/is-porn-wrong-_no-is-is-not.csv")).get(0);
        // first data line: label a2
        assertTrue(p.chosen().startsWith("NO. I am a female who watches porn."));
        assertTrue(p.rejected().startsWith("Porn is not wrong. If it is really wrong"));
        assertEquals("1624453916_74812", p.source().item());
        assertEquals(2, p.source().line());
        assertEquals("is-porn-wrong-_no-is-is-not", p.groupKey());
    }

    @Test
    void genericJsonlPairsAndRankingsGzippedOrPlain() throws IOException {
        String text = """
                {"prompt": "p1", "chosen": "good", "rejected": "bad", "strength": "much"}

                {"prompt": "p2", "responses": ["x", "y", "z"], "ranks": [2, 0, 2], "group": "g"}
                """;
        Path plain = tmp.resolve("a.jsonl");
        Files.writeString(plain, text);
        Path gz = tmp.resolve("b.jsonl.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
        List<PreferenceRecord> both = all(PreferenceFormat.JSONL, tmp);
        assertEquals(4, both.size());
        assertEquals(new PreferenceRecord.Pair("p1", "good", "bad", Strength.MUCH, null, new SourceRef(plain.toString(), 1, null)), both.get(0));
        var r = (PreferenceRecord.Ranked) both.get(1);
        assertEquals(List.of(1, 0, 1), r.ranks(), "dense ranks");
        assertEquals(3, r.source().line());
        assertEquals(2, r.pairs().size());
        assertEquals(new SourceRef(gz.toString(), 1, null), both.get(2).source());
    }

    private PreferenceFormatException malformed(PreferenceFormat f, String name, String content) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, content);
        return assertThrows(PreferenceFormatException.class, () -> all(f, file));
    }

    @Test
    void malformedInputNamesFileLineAndField() throws IOException {
        var e = malformed(PreferenceFormat.JSONL, "x.jsonl", "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}\n{\"prompt\":\"p\",\"chosen\":\"a\"}\n");
        assertEquals(2, e.line());
        assertEquals("rejected", e.field());
        assertTrue(e.getMessage().startsWith(tmp.resolve("x.jsonl") + ":2: field 'rejected'"), e.getMessage());

        e = malformed(PreferenceFormat.JSONL, "y.jsonl", "{\"prompt\":\"p\",\"responses\":[\"a\",\"b\"],\"ranks\":[0,\"1\"]}\n");
        assertEquals("ranks[1]", e.field());
        e = malformed(PreferenceFormat.JSONL, "z.jsonl", "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"strength\":\"huge\"}\n");
        assertEquals("strength", e.field());
        e = malformed(PreferenceFormat.JSONL, "j.jsonl", "{not json\n");
        assertEquals(1, e.line());
        assertNull(e.field());
        assertTrue(e.getMessage().contains("invalid JSON"), e.getMessage());

        e = malformed(PreferenceFormat.HH_RLHF, "h.jsonl", "{\"chosen\":\"\\n\\nHuman: hi\\n\\nAssistant: yo\",\"rejected\":\"\\n\\nHuman: bye\"}\n");
        assertEquals("rejected", e.field());
        e = malformed(PreferenceFormat.HH_RLHF, "h2.jsonl", "{\"chosen\":\"\\n\\nHuman: hi\\n\\nAssistant: yo\",\"rejected\":\"\\n\\nHuman: bye\\n\\nAssistant: no\"}\n");
        assertEquals("rejected", e.field());
        assertTrue(e.getMessage().contains("shares no conversation"), e.getMessage());

        e = malformed(PreferenceFormat.UKPCONVARG, "deb_side.csv", "#id\tlabel\ta1\ta2\n1_2\ta1\tx\ty\n3_4\ta3\tx\ty\n");
        assertEquals(3, e.line());
        assertEquals("label", e.field());
        e = malformed(PreferenceFormat.UKPCONVARG, "deb_side2.csv", "#id\tlabel\ta1\ta2\n1_2\ta1\tx\n");
        assertEquals("a2", e.field());

        e = malformed(PreferenceFormat.OASST, "o.jsonl", "{\"message_tree_id\":\"t\",\"prompt\":{\"message_id\":\"m\",\"text\":\"q\",\"role\":\"prompter\","
                + "\"replies\":[{\"message_id\":\"r1\",\"text\":\"a\",\"role\":\"assistant\",\"rank\":0,\"replies\":[]},"
                + "{\"message_id\":\"r2\",\"role\":\"assistant\",\"rank\":1,\"replies\":[]}]}}\n");
        assertEquals("text", e.field());
        e = malformed(PreferenceFormat.OASST, "o2.jsonl", "{\"message_tree_id\":\"t\",\"prompt\":{\"message_id\":\"m\",\"text\":\"q\",\"role\":\"robot\"}}\n");
        assertEquals("prompt.role", e.field());
    }

    @Test
    void importSourceSpecs() {
        ImportSource s = ImportSource.parse("hh-rlhf:/data/x.jsonl.gz");
        assertEquals(PreferenceFormat.HH_RLHF, s.format());
        assertEquals(Path.of("/data/x.jsonl.gz"), s.path());
        assertEquals(PreferenceFormat.UKPCONVARG, ImportSource.parse("ukpconvarg:d").format());
        assertThrows(IllegalArgumentException.class, () -> ImportSource.parse("csv:/x"));
        assertThrows(IllegalArgumentException.class, () -> ImportSource.parse("/just/a/path"));
        assertEquals("Debate: india has the potential to lead the world\nStance: yes for",
                UkpConvArgReader.promptFor("india-has-the-potential-to-lead-the-world-_yes-for"));
        List<Path> none = new ArrayList<>();
        assertThrows(java.io.UncheckedIOException.class, () -> PreferenceFormat.JSONL.files(tmp.resolve("missing")));
        assertTrue(none.isEmpty());
    }
}
