package dev.tandem.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.tokenizer.TokFiles.Entry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llama2.c file format and run.c's corner cases, on synthetic tokenizer files. */
class Llama2cTokenizerFileTest {

    @TempDir
    Path dir;

    /** base() + " " (259) and a few merges with chosen scores. */
    private List<Entry> smallVocab() {
        List<Entry> entries = new java.util.ArrayList<>(TokFiles.base());
        entries.add(Entry.of(-100f, " "));   // 259
        entries.add(Entry.of(-100f, "a"));   // 260
        entries.add(Entry.of(-100f, "b"));   // 261
        entries.add(Entry.of(-5f, "ab"));    // 262
        entries.add(Entry.of(-5f, "ba"));    // 263: same score as "ab" -> leftmost pair wins
        entries.add(Entry.of(-1f, " a"));    // 264
        entries.add(Entry.of(-1e10f, "bb")); // 265: never merges (run.c needs score > -1e10)
        entries.add(Entry.of(-2f, "aba"));   // 266
        entries.add(Entry.of(-3f, "é"));     // 267
        return entries;
    }

    @Test
    void readsAValidFileAndInfersItsVocabSize() throws IOException {
        Path file = TokFiles.write(dir.resolve("tok.bin"), smallVocab());
        Llama2cTokenizer inferred = Llama2cTokenizer.load(file);
        Llama2cTokenizer sized = new Llama2cTokenizer(file, 268);
        assertEquals(268, inferred.vocabSize());
        assertEquals(268, sized.vocabSize());
        assertEquals(6, sized.maxTokenLength());
        assertEquals(259, sized.dummyPrefix());
        assertEquals(-5f, sized.score(262));
    }

    @Test
    void tiesGoToTheLeftmostPairAndVeryLowScoresNeverMerge() throws IOException {
        Path file = TokFiles.write(dir.resolve("tok.bin"), smallVocab());
        Llama2cTokenizer tok = Llama2cTokenizer.load(file);
        ReferenceBpe reference = new ReferenceBpe(file);
        // " bab": " "+"b" no piece; "ba" and "ab" tie at -5 -> "ba" (left) merges first: [" ", "ba", "b"]
        assertArrayEquals(new int[] {259, 263, 261}, tok.encode("bab", false, false));
        // " ab": " a" (-1) beats "ab" (-5)
        assertArrayEquals(new int[] {264, 261}, tok.encode("ab", false, false));
        // "bb" scores -1e10, so it is never merged
        assertArrayEquals(new int[] {259, 261, 261}, tok.encode("bb", false, false));
        Random random = new Random(3);
        for (int n = 0; n < 300; n++) {
            StringBuilder sb = new StringBuilder();
            for (int i = random.nextInt(25); i > 0; i--) {
                sb.append("ab é\u00e9x".charAt(random.nextInt(6)));
            }
            String s = sb.toString();
            assertArrayEquals(reference.encode(s, true, true), tok.encode(s, true, true), s);
            assertEquals(s, tok.decode(tok.encode(s, true, true)));
        }
    }

    @Test
    void negativeZeroAndZeroScoresTie() throws IOException {
        List<Entry> entries = new java.util.ArrayList<>(TokFiles.base());
        entries.add(Entry.of(-100f, " "));  // 259
        entries.add(Entry.of(-100f, "x"));  // 260
        entries.add(Entry.of(-100f, "y"));  // 261
        entries.add(Entry.of(0.0f, "yx"));  // 262
        entries.add(Entry.of(-0.0f, "xy")); // 263: -0.0 == 0.0 in C, so the leftmost pair wins
        Llama2cTokenizer tok = Llama2cTokenizer.load(TokFiles.write(dir.resolve("tok.bin"), entries));
        assertArrayEquals(new int[] {259, 263, 260}, tok.encode("xyx", false, false));
        assertArrayEquals(new int[] {259, 262, 261}, tok.encode("yxy", false, false));
    }

    @Test
    void pieceWithEmbeddedNulIsCutThereLikeACString() throws IOException {
        List<Entry> entries = new java.util.ArrayList<>(TokFiles.base());
        entries.add(Entry.of(-100f, " "));                                // 259
        entries.add(new Entry(-1f, new byte[] {'q', 0, 'z'}));            // 260: "q" to run.c
        Llama2cTokenizer tok = Llama2cTokenizer.load(TokFiles.write(dir.resolve("tok.bin"), entries));
        assertArrayEquals("q".getBytes(StandardCharsets.US_ASCII), tok.pieceBytes(260));
        assertArrayEquals(new int[] {259, 260}, tok.encode("q", false, false));
        assertEquals("x\u0000q", tok.decode(tok.encode("x\u0000q", true, false)));
    }

    @Test
    void rawByteParsingFollowsSscanf() {
        assertEquals(0x41, Llama2cTokenizer.rawByte("<0x41>"));
        assertEquals(0xAB, Llama2cTokenizer.rawByte("<0xab>"));
        assertEquals(0x0A, Llama2cTokenizer.rawByte("<0xA>"), "one hex digit is enough for %02hhX");
        assertEquals(0x41, Llama2cTokenizer.rawByte("<0x41xyz"), "sscanf counts the conversion without the '>'");
        assertEquals(0x12, Llama2cTokenizer.rawByte("<0x123>"), "width 2");
        assertEquals(0xFF, Llama2cTokenizer.rawByte("<0x-1>"), "a sign is accepted and wraps like unsigned char");
        assertEquals(0x41, Llama2cTokenizer.rawByte("<0x 41>"), "leading whitespace is skipped");
        assertEquals(-1, Llama2cTokenizer.rawByte("<0xg1>"));
        assertEquals(-1, Llama2cTokenizer.rawByte("<0x>"));
        assertEquals(-1, Llama2cTokenizer.rawByte("<0X41>"));
        assertEquals(-1, Llama2cTokenizer.rawByte(" <0x41>"));
        assertEquals(-1, Llama2cTokenizer.rawByte("<unk>"));
    }

    @Test
    void garbageFileIsNotATokenizer() throws IOException {
        Path html = Files.writeString(dir.resolve("page.bin"), "<html><body>not a tokenizer</body></html>");
        IOException e = assertThrows(IOException.class, () -> new Llama2cTokenizer(html, 512));
        assertTrue(e.getMessage().startsWith(html.toString() + ": bad max_token_length "), e.getMessage());
        assertTrue(e.getMessage().contains("not a llama2.c tokenizer file?"), e.getMessage());

        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        noise[0] = 7; // a plausible header, then noise
        noise[1] = 0;
        noise[2] = 0;
        noise[3] = 0;
        Path random = Files.write(dir.resolve("noise.bin"), noise);
        e = assertThrows(IOException.class, () -> Llama2cTokenizer.load(random));
        assertTrue(e.getMessage().startsWith(random + ": token 0 has "), e.getMessage());
    }

    @Test
    void emptyOrTinyFile() throws IOException {
        Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
        IOException e = assertThrows(IOException.class, () -> new Llama2cTokenizer(empty, 512));
        assertEquals(empty + ": 0 bytes is too short for a llama2.c tokenizer (no max_token_length header)", e.getMessage());
        Path zero = Files.write(dir.resolve("zero.bin"), new byte[8]);
        e = assertThrows(IOException.class, () -> new Llama2cTokenizer(zero, 512));
        assertTrue(e.getMessage().contains("bad max_token_length 0 (0x0) at offset 0"), e.getMessage());
    }

    @Test
    void truncatedFileNamesTheTokenAndOffset() throws IOException {
        byte[] whole = TokFiles.bytes(6, smallVocab());
        // where token 100 starts: the max_token_length header, then 100 (score, len, bytes) records
        int offsetOfToken100 = 4;
        for (Entry entry : smallVocab().subList(0, 100)) {
            offsetOfToken100 += 8 + entry.piece().length;
        }
        Path cutInHeader = Files.write(dir.resolve("cut1.bin"), Arrays.copyOf(whole, offsetOfToken100 + 5));
        IOException e = assertThrows(IOException.class, () -> new Llama2cTokenizer(cutInHeader, 268));
        assertEquals(cutInHeader + ": unexpected end of file in token 100 of 268 at offset " + offsetOfToken100
                + " (file size " + (offsetOfToken100 + 5) + "): need 8 bytes for score and length, 5 left;"
                + " the file is truncated or the vocab size is wrong", e.getMessage());

        Path cutInPiece = Files.write(dir.resolve("cut2.bin"), Arrays.copyOf(whole, offsetOfToken100 + 10));
        e = assertThrows(IOException.class, () -> Llama2cTokenizer.load(cutInPiece));
        assertEquals(cutInPiece + ": unexpected end of file in token 100: its 6 bytes start at offset "
                + (offsetOfToken100 + 8) + " but the file ends at " + (offsetOfToken100 + 10) + "; the file is truncated",
                e.getMessage());

        Path lastTokenMissing = Files.write(dir.resolve("cut3.bin"), Arrays.copyOf(whole, whole.length - 10));
        e = assertThrows(IOException.class, () -> new Llama2cTokenizer(lastTokenMissing, 268));
        assertTrue(e.getMessage().contains("in token 267 of 268"), e.getMessage());
    }

    @Test
    void lengthsAreChecked() throws IOException {
        byte[] whole = TokFiles.bytes(6, smallVocab());
        byte[] negative = whole.clone();
        System.arraycopy(TokFiles.le(-3), 0, negative, 4 + 4, 4); // token 0's len
        Path neg = Files.write(dir.resolve("neg.bin"), negative);
        IOException e = assertThrows(IOException.class, () -> new Llama2cTokenizer(neg, 268));
        assertEquals(neg + ": token 0 of 268 has negative length -3 at offset 8; not a llama2.c tokenizer file?", e.getMessage());

        byte[] tooLong = whole.clone();
        System.arraycopy(TokFiles.le(5), 0, tooLong, 0, 4); // max_token_length 5, but "\n</s>\n" has 6 bytes
        Path longer = Files.write(dir.resolve("long.bin"), tooLong);
        e = assertThrows(IOException.class, () -> new Llama2cTokenizer(longer, 268));
        assertTrue(e.getMessage().contains("token 2 of 268 has length 6 at offset "), e.getMessage());
        assertTrue(e.getMessage().contains("more than max_token_length 5"), e.getMessage());
    }

    @Test
    void vocabSizeMustMatchTheFile() throws IOException {
        Path file = TokFiles.write(dir.resolve("tok.bin"), smallVocab());
        IOException e = assertThrows(IOException.class, () -> new Llama2cTokenizer(file, 267));
        assertTrue(e.getMessage().contains("bytes left after token 266"), e.getMessage());
        assertTrue(e.getMessage().endsWith("the file holds more tokens than vocab size 267"), e.getMessage());
        e = assertThrows(IOException.class, () -> new Llama2cTokenizer(file, 300));
        assertTrue(e.getMessage().contains("unexpected end of file in token 268 of 300"), e.getMessage());
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> new Llama2cTokenizer(file, 100));
        assertTrue(small.getMessage().contains("too small"), small.getMessage());
    }

    @Test
    void fileMustHaveByteFallbackAndDummyPrefix() throws IOException {
        List<Entry> swapped = new java.util.ArrayList<>(smallVocab());
        swapped.set(3 + 0x41, Entry.of(0f, "A"));
        Path noByte = TokFiles.write(dir.resolve("nobyte.bin"), swapped);
        IOException e = assertThrows(IOException.class, () -> Llama2cTokenizer.load(noByte));
        assertEquals(noByte + ": token 68 is \"A\" but llama2.c's byte fallback needs <0x41> there;"
                + " not a llama2.c tokenizer with byte fallback", e.getMessage());

        List<Entry> noSpace = new java.util.ArrayList<>(smallVocab());
        noSpace.set(259, Entry.of(-100f, "_"));
        Path noPrefix = TokFiles.write(dir.resolve("nospace.bin"), noSpace);
        e = assertThrows(IOException.class, () -> Llama2cTokenizer.load(noPrefix));
        assertEquals(noPrefix + ": no \" \" piece, which llama2.c needs as the dummy prefix", e.getMessage());

        Path tooFew = TokFiles.write(dir.resolve("few.bin"), TokFiles.base().subList(0, 100));
        e = assertThrows(IOException.class, () -> Llama2cTokenizer.load(tooFew));
        assertTrue(e.getMessage().contains("only 100 tokens"), e.getMessage());
    }

    @Test
    void missingFile() {
        Path missing = dir.resolve("absent.bin");
        IOException e = assertThrows(IOException.class, () -> new Llama2cTokenizer(missing, 512));
        assertTrue(e.getMessage().contains("absent.bin"), e.getMessage());
    }
}
