package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.io.PreferenceFormat;
import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.feedback.io.SourceRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: empty data, the wrong format, pairs that teach nothing. */
class PreferenceDataTest {
    @TempDir Path tmp;

    @Test
    void emptyFileIsAClearError() throws Exception {
        Path f = Files.writeString(tmp.resolve("empty.jsonl"), "");
        var e = assertThrows(IllegalArgumentException.class, () -> PreferenceData.load(List.of("jsonl:" + f)));
        assertTrue(e.getMessage().contains("empty.jsonl") && e.getMessage().contains("no usable preference records"), e.getMessage());
    }

    @Test
    void wrongFormatNamesFileAndLine() throws Exception {
        Path f = Files.writeString(tmp.resolve("pairs.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        // a JSONL file read as HH-RLHF lacks its fields
        var e = assertThrows(RuntimeException.class, () -> PreferenceData.load(List.of("hh-rlhf:" + f)));
        assertTrue(e.getMessage().contains("pairs.jsonl:1"), e.getMessage());
        // a TSV read as JSONL
        Path csv = Files.writeString(tmp.resolve("x_yes.csv"), "#id\tlabel\ta1\ta2\n1\ta1\tone\ttwo\n");
        var e2 = assertThrows(RuntimeException.class, () -> PreferenceData.load(List.of("jsonl:" + csv)));
        assertTrue(e2.getMessage().contains("x_yes.csv:1"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PreferenceData.load(List.of("parquet:" + csv)));
        assertThrows(IllegalArgumentException.class, () -> PreferenceData.load(List.of("jsonl:" + tmp.resolve("missing.jsonl"))));
    }

    @Test
    void identicalPairsAreSkippedAndCounted() throws Exception {
        Path f = Files.writeString(tmp.resolve("pairs.jsonl"), """
                {"prompt": "p", "chosen": "same", "rejected": "same"}
                {"prompt": "p", "chosen": "good", "rejected": "bad"}
                {"prompt": "q", "chosen": "x", "rejected": "x"}
                """);
        PreferenceData d = PreferenceData.load(List.of("jsonl:" + f));
        assertEquals(1, d.size());
        assertEquals(2, d.skippedCount());
        assertEquals(2, d.skipped().get(PreferenceData.SKIP_IDENTICAL));
        Path only = Files.writeString(tmp.resolve("only.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"s\", \"rejected\": \"s\"}\n");
        var e = assertThrows(IllegalArgumentException.class, () -> PreferenceData.load(List.of("jsonl:" + only)));
        assertTrue(e.getMessage().contains("1 skipped"), e.getMessage());
    }

    @Test
    void emptyDirectoryIsAClearError() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("nothing-here"));
        var e = assertThrows(IllegalArgumentException.class, () -> PreferenceData.load(List.of("ukpconvarg:" + dir)));
        assertTrue(e.getMessage().contains("nothing-here"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> PreferenceData.load(List.of()));
        assertTrue(e2.getMessage().contains("no data sources"), e2.getMessage());
    }

    @Test
    void identicalArgumentsAndRankingsOfOneTextAreSkippedAndCounted() throws Exception {
        // UKPConvArg: a row whose two arguments are the same text teaches nothing
        Path dir = Files.createDirectory(tmp.resolve("ukp"));
        Files.writeString(dir.resolve("debate_yes.csv"), "#id\tlabel\ta1\ta2\n"
                + "1_2\ta1\tSame words.\tSame words.\n"
                + "3_4\ta2\tShort.\tA longer and better argument.\n");
        PreferenceData u = PreferenceData.load(List.of("ukpconvarg:" + dir));
        assertEquals(1, u.size());
        assertEquals(1, u.skipped().get(PreferenceData.SKIP_IDENTICAL));
        // a ranking whose responses are all one text is skipped; a ranking with two texts is kept
        SourceRef src = new SourceRef("trees.jsonl", 1, null);
        PreferenceData o = PreferenceData.of(PreferenceFormat.OASST, List.of(
                new PreferenceRecord.Ranked("p", List.of("x", "x", "x"), List.of(0, 1, 2), "t1", src),
                new PreferenceRecord.Ranked("p", List.of("x", "y"), List.of(0, 1), "t2", src)));
        assertEquals(1, o.size());
        assertEquals(1, o.skippedCount());
        assertEquals(List.of("tree:t2"), o.groups());
    }

    @Test
    void debateIsTheStemBeforeTheLastUnderscore() {
        assertEquals("is-porn-wrong-", PreferenceData.debateOf("is-porn-wrong-_yes-porn-is-wrong"));
        assertEquals("pro-choice-vs-pro-life", PreferenceData.debateOf("pro-choice-vs-pro-life_pro-life.csv"));
        assertEquals("a_b", PreferenceData.debateOf("a_b_c"));
    }
}
