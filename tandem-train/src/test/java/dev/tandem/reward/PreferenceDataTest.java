package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void debateIsTheStemBeforeTheLastUnderscore() {
        assertEquals("is-porn-wrong-", PreferenceData.debateOf("is-porn-wrong-_yes-porn-is-wrong"));
        assertEquals("pro-choice-vs-pro-life", PreferenceData.debateOf("pro-choice-vs-pro-life_pro-life.csv"));
        assertEquals("a_b", PreferenceData.debateOf("a_b_c"));
    }
}
