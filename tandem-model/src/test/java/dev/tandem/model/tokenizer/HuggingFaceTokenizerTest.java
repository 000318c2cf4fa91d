package dev.tandem.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL's Hugging Face tokenizer behind {@link Tokenizer}, on a small Llama-style BPE
 * tokenizer.json written by the test (sentencepiece-like "▁" handling, no byte fallback).
 */
class HuggingFaceTokenizerTest {

    /** Ids: 0-2 specials; 3.. characters; 12.. merges. */
    static final String TOKENIZER_JSON = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
                {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "▁"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
              ]},
              "pre_tokenizer": null,
              "post_processor": {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
              "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}
              ]},
              "model": {
                "type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": false, "ignore_merges": false,
                "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3, "h": 4, "e": 5, "l": 6, "o": 7, "w": 8, "r": 9,
                          "d": 10, "!": 11, "he": 12, "ll": 13, "llo": 14, "▁he": 15, "▁hello": 16, "▁w": 17,
                          "or": 18, "▁wor": 19, "ld": 20, "▁world": 21},
                "merges": ["h e", "l l", "ll o", "▁ he", "▁he llo", "▁ w", "o r", "▁w or", "l d", "▁wor ld"]
              }
            }
            """;

    @TempDir
    Path dir;

    private Path writeTokenizer() throws IOException {
        return Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER_JSON, StandardCharsets.UTF_8);
    }

    @Test
    void encodesWithBosAndEosAddedByUsOnly() throws IOException {
        try (HuggingFaceTokenizer tok = new HuggingFaceTokenizer(writeTokenizer())) {
            assertEquals("huggingface", tok.kind());
            assertEquals(22, tok.vocabSize());
            assertEquals(1, tok.bos());
            assertEquals(2, tok.eos());
            // the post-processor would add <s>; encode(text, false, false) must not
            assertArrayEquals(new int[] {16, 21}, tok.encode("hello world", false, false));
            assertArrayEquals(new int[] {1, 16, 21}, tok.encode("hello world", true, false));
            assertArrayEquals(new int[] {1, 16, 21, 2}, tok.encode("hello world", true, true));
            assertArrayEquals(new int[] {16, 3, 21, 11}, tok.encode("hello  world!", false, false));
            assertArrayEquals(new int[] {3, 4, 7, 0}, tok.encode("hoz", false, false), "z is unknown");
            assertArrayEquals(new int[0], tok.encode("", false, false));
        }
    }

    @Test
    void decodesWholeSequencesAndPieces() throws IOException {
        try (HuggingFaceTokenizer tok = new HuggingFaceTokenizer(writeTokenizer())) {
            for (String s : new String[] {"hello world", "hello  world!", "world hello", "held", "low", "hello"}) {
                assertEquals(s, tok.decode(tok.encode(s, true, true)), s);
                assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), tok.decodeBytes(tok.encode(s, false, false)));
            }
            assertEquals("hello", tok.decodePiece(1, 16), "after BOS the leading space goes");
            assertEquals(" world", tok.decodePiece(16, 21));
            assertEquals("!", tok.decodePiece(21, 11));
            assertEquals("", tok.decodePiece(21, 2), "EOS is special and decodes to nothing");
            StringBuilder streamed = new StringBuilder();
            int[] ids = tok.encode("hello  world!", true, false);
            for (int i = 1; i < ids.length; i++) {
                streamed.append(tok.decodePiece(ids[i - 1], ids[i]));
            }
            assertEquals("hello  world!", streamed.toString());
        }
    }

    @Test
    void closedTokenizerRefusesWork() throws IOException {
        HuggingFaceTokenizer tok = new HuggingFaceTokenizer(writeTokenizer());
        tok.close();
        assertDoesNotThrow(tok::close);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> tok.encode("hello", false, false));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }

    @Test
    void badInputIsRejectedClearly() throws IOException {
        try (HuggingFaceTokenizer tok = new HuggingFaceTokenizer(writeTokenizer())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {16, 22}));
            assertTrue(e.getMessage().contains("token id 22 out of range [0, 22)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> tok.encode("a\ud800", false, false));
            assertTrue(e.getMessage().contains("unpaired surrogate at char index 1"), e.getMessage());
        }
    }

    @Test
    void specialTokensComeFromTokenizerConfigWhenPresent() throws IOException {
        String json = TOKENIZER_JSON.replace("\"content\": \"<s>\"", "\"content\": \"<|begin|>\"")
                .replace("\"content\": \"</s>\"", "\"content\": \"<|end|>\"");
        Files.writeString(dir.resolve("tokenizer.json"), json, StandardCharsets.UTF_8);
        try (HuggingFaceTokenizer tok = new HuggingFaceTokenizer(dir)) {
            // no <s>/</s> among added tokens, but the model vocab still has them
            assertEquals(1, tok.bos());
            assertEquals(2, tok.eos());
        }
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<|end|>\"}, \"eos_token\": \"<|begin|>\"}");
        try (HuggingFaceTokenizer tok = new HuggingFaceTokenizer(dir)) {
            assertEquals(2, tok.bos());
            assertEquals(1, tok.eos());
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<nope>\"}");
        try (HuggingFaceTokenizer tok = new HuggingFaceTokenizer(dir)) {
            assertEquals(-1, tok.bos());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tok.encode("hello", true, false));
            assertTrue(e.getMessage().endsWith("has no BOS token"), e.getMessage());
            assertArrayEquals(new int[] {16}, tok.encode("hello", false, false));
        }
    }

    @Test
    void brokenFilesNameTheFile() throws IOException {
        Path notJson = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        IOException e = assertThrows(IOException.class, () -> new HuggingFaceTokenizer(notJson));
        assertTrue(e.getMessage().startsWith(notJson + ": not valid JSON at line 1"), e.getMessage());

        Path noModel = Files.writeString(dir.resolve("other.json"), "{\"vocab\": {}}");
        e = assertThrows(IOException.class, () -> new HuggingFaceTokenizer(noModel));
        assertEquals(noModel + ": not a Hugging Face tokenizer.json (no \"model\" object)", e.getMessage());

        Path unknownModel = Files.writeString(dir.resolve("bogus.json"), "{\"model\": {\"type\": \"Bogus\", \"vocab\": {\"a\": 0}}}");
        e = assertThrows(IOException.class, () -> new HuggingFaceTokenizer(unknownModel));
        assertTrue(e.getMessage().startsWith(unknownModel + ": the tokenizers library rejected it: "), e.getMessage());

        Path missing = dir.resolve("nothing-here.json");
        e = assertThrows(IOException.class, () -> new HuggingFaceTokenizer(missing));
        assertEquals(missing + ": no such tokenizer.json file", e.getMessage());
    }

    @Test
    void tokenizersLoadPicksTheKindByFileName() throws IOException {
        Path json = writeTokenizer();
        try (Tokenizer tok = Tokenizers.load(json)) {
            assertInstanceOf(HuggingFaceTokenizer.class, tok);
        }
        try (Tokenizer tok = Tokenizers.load(dir)) {
            assertInstanceOf(HuggingFaceTokenizer.class, tok);
        }
        IOException e = assertThrows(IOException.class, () -> Tokenizers.load(json, 16));
        assertTrue(e.getMessage().contains("tokenizer has 22 token ids but the model's vocab size is 16"), e.getMessage());
        try (Tokenizer tok = Tokenizers.load(json, 32)) {
            assertEquals(22, tok.vocabSize());
        }

        Path bin = TokFiles.write(dir.resolve("tok.bin"), withDummyPrefix());
        try (Tokenizer tok = Tokenizers.load(bin)) {
            assertInstanceOf(Llama2cTokenizer.class, tok);
            assertEquals(260, tok.vocabSize());
        }
        e = assertThrows(IOException.class, () -> Tokenizers.load(bin, 512));
        assertTrue(e.getMessage().contains("unexpected end of file in token 260 of 512"), e.getMessage());

        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Tokenizers.load(dir.resolve("vocab.txt")));
        assertTrue(unknown.getMessage().contains("expected a llama2.c tokenizer (*.bin) or a Hugging Face tokenizer.json"));
        Path empty = Files.createDirectory(dir.resolve("empty"));
        e = assertThrows(IOException.class, () -> Tokenizers.load(empty));
        assertTrue(e.getMessage().endsWith("directory without a tokenizer.json"), e.getMessage());
    }

    private static java.util.List<TokFiles.Entry> withDummyPrefix() {
        java.util.List<TokFiles.Entry> entries = new java.util.ArrayList<>(TokFiles.base());
        entries.add(TokFiles.Entry.of(-1f, " "));
        return entries;
    }
}
