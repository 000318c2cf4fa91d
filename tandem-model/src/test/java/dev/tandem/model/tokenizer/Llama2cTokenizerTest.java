package dev.tandem.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * llama2.c's tokenizer on the real tok512.bin of stories260K, checked against an independent
 * brute-force reference ({@link ReferenceBpe}) and against llama2.c's recorded output.
 *
 * <p>Round trip, as tested here: for every string {@code s} of Unicode scalar values,
 * {@code decode(encode(s, bos, eos))} equals {@code s}, for all four bos/eos choices. The dummy
 * prefix space that encoding prepends is exactly the leading space that decoding strips from the
 * first piece after (an explicit or implied) BOS.
 */
class Llama2cTokenizerTest {

    private static Llama2cTokenizer tok;
    private static ReferenceBpe reference;

    private static final String[] WORDS = {
        "Once", "upon", "a", "time", "there", "was", "little", "girl", "named", "Lily", "She", "loved", "to",
        "play", "outside", "in", "the", "park", "One", "day", "saw", "big", "red", "ball", "Tim", "happy",
        "said", "didn't", "know", "what", "do", "They", "were", "friends", "and", "it", "sun", "hill",
    };
    private static final String[] GLUE = {" ", " ", " ", " ", ", ", ". ", "! ", "? ", "\n", "  ", "\"", "'", " - ", ".\n\n"};

    @BeforeAll
    static void load() throws IOException {
        Path file = RealData.tok512();
        tok = new Llama2cTokenizer(file, 512);
        reference = new ReferenceBpe(file);
    }

    @Test
    void onceUponATimeIsBosPlusFourTokens() {
        int[] ids = tok.encode("Once upon a time", true, false);
        assertEquals(5, ids.length, Arrays.toString(ids));
        assertEquals(Llama2cTokenizer.BOS, ids[0]);
        assertArrayEquals(reference.encode("Once upon a time", true, false), ids);
        List<String> pieces = new ArrayList<>();
        for (int i = 1; i < ids.length; i++) {
            pieces.add(new String(tok.pieceBytes(ids[i]), StandardCharsets.UTF_8));
        }
        assertEquals(List.of(" Once", " upon", " a", " time"), pieces);
    }

    @Test
    void agreesWithIdsPublishedForTok512() {
        // Expected ids from a public C port's test of llama2.c's encode on this tok512.bin.
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, tok.encode("Once upon a time", true, false));
        assertArrayEquals(new int[] {1, 291, 276, 410, 293, 261, 270, 277, 372, 353, 261, 270, 290, 421, 426, 342,
            280, 388, 312, 352, 293, 299, 262, 379}, tok.encode("There is a house on a hill. They call it rising sun", true, false));
        assertArrayEquals(new int[] {1, 410, 469, 347}, tok.encode("Zoo", true, false));
    }

    @Test
    void promptPrintsLikeTheStartOfLlama2cGreedyOutput() throws IOException {
        byte[] golden = Files.readAllBytes(RealData.require("models/stories260K/greedy-reference-256.txt"));
        int[] ids = tok.encode("Once upon a time", true, false);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        for (int i = 1; i < ids.length; i++) {
            printed.writeBytes(tok.printedPieceBytes(ids[i - 1], ids[i]));
        }
        byte[] prompt = printed.toByteArray();
        assertArrayEquals(Arrays.copyOf(golden, prompt.length), prompt);
        assertEquals("Once upon a time", new String(prompt, StandardCharsets.UTF_8));
    }

    @Test
    void goldenOutputReEncodesAndDecodesToItself() throws IOException {
        // The reference output minus run.c's final newline: 256 positions of real model text.
        String golden = Files.readString(RealData.require("models/stories260K/greedy-reference-256.txt"), StandardCharsets.UTF_8);
        String text = golden.substring(0, golden.length() - 1);
        int[] ids = tok.encode(text, true, false);
        assertArrayEquals(reference.encode(text, true, false), ids);
        assertEquals(text, tok.decode(ids));
    }

    @Test
    void emptyAndEdgeFlags() {
        assertArrayEquals(new int[0], tok.encode("", false, false));
        assertArrayEquals(new int[] {1}, tok.encode("", true, false));
        assertArrayEquals(new int[] {1, 2}, tok.encode("", true, true));
        assertArrayEquals(new int[] {tok.dummyPrefix(), tok.dummyPrefix()}, tok.encode(" ", false, false)); // "  " is no piece
        assertEquals(" ", new String(tok.pieceBytes(tok.dummyPrefix()), StandardCharsets.UTF_8));
        assertEquals("", tok.decode(new int[0]));
        assertEquals("", tok.decode(new int[] {1, 2}));
    }

    @Test
    void matchesTheBruteForceReferenceOnChosenStrings() {
        String[] samples = {
            "Once upon a time", "once upon a time", "  leading spaces", "trailing spaces  ", " ", "   ", "a", "\n",
            "Lily's mom said, \"Lily, let's go to the park.\"", "The end.\n\nOnce upon a time, there was a dog.",
            "<0x41> is not a byte token in text", "<s> and </s> are text here", "\n<s>\n", "tab\there", "x\u0000y",
            "bell\u0007", "naïve café", "e\u0301 (e + combining acute)", "日本語のテキスト", "😀👍🏽 emoji", "™ and \u200a",
            "1234567890", "~[]{}|\\^`@#$%&*()_+=-", "ÿ\u0080\u07ff\u0800\uffff\ud800\udc00\udbff\udfff",
        };
        for (String s : samples) {
            for (int flags = 0; flags < 4; flags++) {
                boolean bos = (flags & 1) != 0;
                boolean eos = (flags & 2) != 0;
                assertArrayEquals(reference.encode(s, bos, eos), tok.encode(s, bos, eos), () -> "encode(" + s + ")");
            }
        }
    }

    @Test
    void matchesTheBruteForceReferenceOnRandomStrings() {
        Random random = new Random(20240611L);
        for (int n = 0; n < 400; n++) {
            String s = switch (n % 3) {
                case 0 -> storyLike(random, 1 + random.nextInt(30));
                case 1 -> randomAscii(random, random.nextInt(60));
                default -> randomScalars(random, random.nextInt(40), 0.7);
            };
            boolean bos = random.nextBoolean();
            boolean eos = random.nextBoolean();
            assertArrayEquals(reference.encode(s, bos, eos), tok.encode(s, bos, eos), () -> "encode(" + escape(s) + ")");
        }
    }

    @Test
    void matchesTheBruteForceReferenceOnALongText() {
        String s = storyLike(new Random(7), 800);
        assertArrayEquals(reference.encode(s, true, true), tok.encode(s, true, true));
    }

    @Test
    void roundTripsChosenUnicode() {
        String[] samples = {
            "", " ", "  two", "end ", "😀", "👍🏽", "👨‍👩‍👧‍👦", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "中文字符和日本語と한국어", "\n", "\t", "\u0000", "\u0007",
            "a\u0000b\u0000", "\r\n", "e\u0301\u0302\u0303", "\u0300 leading combining mark", "\ufeffBOM", "\uffff\ufffe",
            "\udbff\udfff", "<0x41>", "\n<s>\n", "\n</s>\n", "<unk>", "Once upon a time",
        };
        for (String s : samples) {
            assertRoundTrips(s);
        }
    }

    @Test
    void roundTripsRandomScalarValues() {
        Random random = new Random(42);
        for (int n = 0; n < 500; n++) {
            assertRoundTrips(randomScalars(random, random.nextInt(50), n % 2 == 0 ? 0.0 : 0.5));
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void roundTripsVeryLongStrings() {
        Random random = new Random(99);
        String story = storyLike(random, 40_000);
        assertTrue(story.length() > 150_000, "story length " + story.length());
        assertRoundTrips(story);
        assertRoundTrips(randomScalars(random, 50_000, 0.3));
        assertRoundTrips("a".repeat(100_000));
        assertRoundTrips(" ".repeat(10_000));
    }

    @Test
    void piecesAfterBosLoseOneLeadingSpace() {
        int once = tok.encode("Once", false, false)[0];
        assertEquals(" Once", tok.decodePiece(5, once)); // after a token that is not BOS
        assertEquals("Once", tok.decodePiece(Llama2cTokenizer.BOS, once));
        assertEquals("Once", tok.decodePiece(Llama2cTokenizer.BOS, tok.encode(" Once", false, false)[1]));
        int space = tok.dummyPrefix();
        assertArrayEquals(new byte[0], tok.decodePieceBytes(Llama2cTokenizer.BOS, space));
        // EOS decodes to its piece, as run.c would print it
        assertEquals("\n</s>\n", tok.decodePiece(10, Llama2cTokenizer.EOS));
    }

    @Test
    void byteTokensDecodeToTheirByte() {
        for (int b = 0; b < 256; b++) {
            int id = b + Llama2cTokenizer.BYTE_OFFSET;
            assertArrayEquals(new byte[] {(byte) b}, tok.decodePieceBytes(0, id), "byte token " + id);
            assertArrayEquals(new byte[] {(byte) b}, tok.decodePieceBytes(Llama2cTokenizer.BOS, id), "after BOS " + id);
        }
        for (int id = 0; id < tok.vocabSize(); id++) {
            if (id < 3 || id > 258) {
                assertArrayEquals(tok.pieceBytes(id), tok.decodePieceBytes(0, id), "token " + id + " is not a byte token");
            }
        }
    }

    @Test
    void splitUtf8IsReassembledFromBytes() {
        // 日 has no piece in tok512: it falls back to the bytes E6 97 A5
        int[] ids = tok.encode("日", false, false);
        assertArrayEquals(new int[] {tok.dummyPrefix(), 0xE6 + 3, 0x97 + 3, 0xA5 + 3}, ids);
        Utf8StreamDecoder stream = new Utf8StreamDecoder();
        StringBuilder text = new StringBuilder();
        int prev = Llama2cTokenizer.BOS;
        List<String> emitted = new ArrayList<>();
        for (int id : ids) {
            String part = stream.push(tok.decodePieceBytes(prev, id));
            emitted.add(part);
            text.append(part);
            prev = id;
        }
        text.append(stream.finish());
        assertEquals(List.of("", "", "", "日"), emitted);
        assertEquals("日", text.toString());
        assertEquals("\ufffd", tok.decodePiece(0, 0xE6 + 3)); // one byte alone is not text
    }

    @Test
    void printedBytesFollowSafePrintf() {
        assertArrayEquals(new byte[0], tok.printedPieceBytes(0, 0xE6 + 3), "a high byte alone is skipped by run.c");
        assertArrayEquals(new byte[0], tok.printedPieceBytes(0, 0x07 + 3), "BEL is skipped by run.c");
        assertArrayEquals(new byte[] {'\n'}, tok.printedPieceBytes(0, 0x0A + 3));
        assertArrayEquals(new byte[] {'A'}, tok.printedPieceBytes(0, 0x41 + 3));
        int once = tok.encode("Once", false, false)[0];
        assertArrayEquals(" Once".getBytes(StandardCharsets.US_ASCII), tok.printedPieceBytes(0, once));
    }

    @Test
    void rawBytesAreGroupedLikeRunC() {
        int e = tok.encode("é", false, false)[1];
        assertTrue(e > 258, "é is a piece of its own in tok512");
        assertArrayEquals(new int[] {tok.dummyPrefix(), e}, tok.encodeUtf8(new byte[] {(byte) 0xC3, (byte) 0xA9}, false, false));
        // A stray continuation byte after é joins its group, and the 3-byte group is no piece: bytes.
        assertArrayEquals(new int[] {tok.dummyPrefix(), 0xC3 + 3, 0xA9 + 3, 0xA9 + 3},
                tok.encodeUtf8(new byte[] {(byte) 0xC3, (byte) 0xA9, (byte) 0xA9}, false, false));
        // Stray continuation bytes: groups of at most 4, then each byte falls back.
        byte[] stray = new byte[6];
        Arrays.fill(stray, (byte) 0x80);
        int[] ids = tok.encodeUtf8(stray, false, false);
        assertEquals(7, ids.length);
        assertTrue(Arrays.stream(ids, 1, 7).allMatch(id -> id == 0x80 + 3));
    }

    @Test
    void rejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encode("abc\ud800def", true, false));
        assertTrue(e.getMessage().contains("unpaired surrogate at char index 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tok.encode("\udc00", true, false));
        assertTrue(e.getMessage().contains("index 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {1, 512}));
        assertTrue(e.getMessage().contains("token id 512 out of range [0, 512)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tok.decodePieceBytes(0, -1));
        assertThrows(NullPointerException.class, () -> tok.encode(null, true, false));
    }

    @Test
    void describesItself() {
        assertEquals("llama2c", tok.kind());
        assertEquals(512, tok.vocabSize());
        assertEquals(1, tok.bos());
        assertEquals(2, tok.eos());
        assertEquals(7, tok.maxTokenLength());
    }

    private static void assertRoundTrips(String s) {
        for (int flags = 0; flags < 4; flags++) {
            boolean bos = (flags & 1) != 0;
            boolean eos = (flags & 2) != 0;
            int[] ids = tok.encode(s, bos, eos);
            assertEquals(s, tok.decode(ids), () -> "round trip of " + escape(s.length() > 200 ? s.substring(0, 200) + "..." : s));
            assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), tok.decodeBytes(ids));
        }
    }

    static String storyLike(Random random, int words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            sb.append(WORDS[random.nextInt(WORDS.length)]);
            if (i + 1 < words) {
                sb.append(GLUE[random.nextInt(GLUE.length)]);
            }
        }
        return sb.toString();
    }

    static String randomAscii(Random random, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            sb.append(kind == 0 ? (char) random.nextInt(32) : kind < 4 ? ' ' : (char) (32 + random.nextInt(95)));
        }
        return sb.toString();
    }

    /** Random Unicode scalar values (no surrogates); {@code asciiShare} of them ASCII. */
    static String randomScalars(Random random, int length, double asciiShare) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int cp;
            if (random.nextDouble() < asciiShare) {
                cp = random.nextInt(128);
            } else {
                do {
                    cp = switch (random.nextInt(4)) {
                        case 0 -> random.nextInt(0x800);
                        case 1 -> random.nextInt(0x10000);
                        default -> random.nextInt(0x110000);
                    };
                } while (cp >= 0xD800 && cp <= 0xDFFF);
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp >= 32 && cp < 127) {
                sb.appendCodePoint(cp);
            } else {
                sb.append(String.format("\\u{%X}", cp));
            }
        });
        return sb.toString();
    }
}
