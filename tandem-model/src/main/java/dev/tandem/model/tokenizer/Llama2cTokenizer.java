package dev.tandem.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * The sentencepiece-style BPE tokenizer of karpathy's llama2.c, read from its {@code tokenizer.bin}
 * format ({@code tok512.bin} for stories260K), encoding and decoding exactly like {@code run.c}.
 *
 * <h2>File format</h2>
 * Little-endian: {@code int32 max_token_length}, then for each of the {@code vocab_size} tokens
 * {@code float32 score, int32 len, len bytes}. Ids 0, 1, 2 are {@code <unk>}, BOS and EOS; ids
 * 3..258 are the byte-fallback pieces {@code <0x00>}..{@code <0xFF>} (run.c hard-codes "byte b is
 * id b + 3", so this class checks that the file agrees).
 *
 * <h2>Encoding ({@code run.c encode})</h2>
 * <ol>
 *   <li>BOS (1) if asked for.</li>
 *   <li>If the text is not empty, the id of the piece {@code " "} (the "dummy prefix").</li>
 *   <li>The UTF-8 bytes are cut into groups: a group starts at any byte and takes the following
 *       continuation bytes ({@code 10xxxxxx}) while it is shorter than 4 bytes. A group that is a
 *       piece becomes that piece's id; otherwise each of its bytes {@code b} becomes id
 *       {@code b + 3}. For valid UTF-8 a group is exactly one code point.</li>
 *   <li>Repeatedly, over all adjacent pairs (BOS and the dummy prefix included), concatenate the two
 *       pieces' strings; among the pairs whose concatenation is a piece, merge the one whose piece
 *       has the highest score (float comparison; ties go to the leftmost pair; a score must exceed
 *       -1e10). Stop when no pair merges.</li>
 *   <li>EOS (2) if asked for.</li>
 * </ol>
 * Merging compares the pieces' <em>strings</em>, so a byte-fallback token takes part as the six
 * characters {@code <0xNN>}, not as its byte. Pieces are C strings in run.c: a piece with an
 * embedded NUL byte is cut at the NUL (tok512.bin has none). run.c cannot see a NUL in its input
 * (C strings end there); here U+0000 is encoded like any other code point that is not a piece,
 * by byte fallback, as id 3. When two pieces have the same string, lookups find the lower id
 * (run.c's bsearch may find either; tok512.bin has no duplicates).
 *
 * <p>This class gets the same result as run.c's quadratic rescan with a priority queue of
 * candidate pairs ordered by (score descending, position ascending), so long texts stay fast.
 *
 * <h2>Decoding ({@code run.c decode})</h2>
 * A piece that follows BOS loses one leading space (sentencepiece strips the dummy prefix); a
 * piece that then reads {@code <0xNN>} is that raw byte. See {@link #printedPieceBytes} for what
 * run.c's {@code generate} finally writes to stdout.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Llama2cTokenizer implements Tokenizer {

    /** Id of {@code <unk>}. */
    public static final int UNK = 0;
    /** Id of the beginning-of-sequence token. */
    public static final int BOS = 1;
    /** Id of the end-of-sequence token. */
    public static final int EOS = 2;
    /** Byte {@code b} of the byte fallback is id {@code b + BYTE_OFFSET}. */
    public static final int BYTE_OFFSET = 3;

    /** Largest max_token_length accepted; guards against reading a foreign file as a length. */
    static final int MAX_TOKEN_LENGTH_LIMIT = 65_535;

    /** run.c's initial best score: a merge must score strictly higher than this. */
    private static final float NO_MERGE = -1e10f;

    private final Path source;
    private final int maxTokenLength;
    private final float[] scores;
    /** Piece strings as "byte strings": one ISO-8859-1 char per byte, cut at the first NUL. */
    private final String[] pieces;
    private final Map<String, Integer> idsByPiece;
    private final int dummyPrefix;

    /**
     * Reads exactly {@code vocabSize} tokens from a llama2.c tokenizer file.
     *
     * @param vocabSize the model's vocab_size (512 for stories260K)
     * @throws IOException if the file cannot be read, is truncated, holds more tokens than
     *     {@code vocabSize}, or is not a llama2.c tokenizer; the message names the file
     */
    public Llama2cTokenizer(Path path, int vocabSize) throws IOException {
        this(path, TokenizerFile.read(path, vocabSize));
    }

    /**
     * Reads a llama2.c tokenizer file, taking the vocab size from the file itself (tokens are read
     * until the end of the file).
     */
    public static Llama2cTokenizer load(Path path) throws IOException {
        return new Llama2cTokenizer(path, TokenizerFile.read(path, -1));
    }

    private Llama2cTokenizer(Path source, TokenizerFile file) throws IOException {
        this.source = source;
        this.maxTokenLength = file.maxTokenLength();
        this.scores = file.scores();
        int n = file.scores().length;
        this.pieces = new String[n];
        this.idsByPiece = new HashMap<>(n * 2);
        for (int id = 0; id < n; id++) {
            byte[] raw = file.pieces()[id];
            int nul = indexOf(raw, (byte) 0);
            pieces[id] = new String(raw, 0, nul < 0 ? raw.length : nul, StandardCharsets.ISO_8859_1);
            idsByPiece.putIfAbsent(pieces[id], id);
        }
        for (int b = 0; b < 256; b++) {
            String expected = String.format("<0x%02X>", b);
            if (!pieces[b + BYTE_OFFSET].equals(expected)) {
                throw new IOException(source + ": token " + (b + BYTE_OFFSET) + " is "
                        + printable(pieces[b + BYTE_OFFSET]) + " but llama2.c's byte fallback needs "
                        + expected + " there; not a llama2.c tokenizer with byte fallback");
            }
        }
        Integer space = idsByPiece.get(" ");
        if (space == null) {
            throw new IOException(source + ": no \" \" piece, which llama2.c needs as the dummy prefix");
        }
        this.dummyPrefix = space;
    }

    /** The file this tokenizer was read from. */
    public Path source() {
        return source;
    }

    /** The file's max_token_length header. */
    public int maxTokenLength() {
        return maxTokenLength;
    }

    /** The merge score of {@code id}. */
    public float score(int id) {
        checkId(id);
        return scores[id];
    }

    /** The raw bytes of piece {@code id} as stored (cut at a NUL byte, as run.c sees it). */
    public byte[] pieceBytes(int id) {
        checkId(id);
        return pieces[id].getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The id of the dummy-prefix piece {@code " "}. */
    public int dummyPrefix() {
        return dummyPrefix;
    }

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        Objects.requireNonNull(text, "text");
        return encodeUtf8(Unicode.utf8(text), bos, eos);
    }

    /**
     * Encodes raw bytes as run.c encodes a C string holding them; the bytes need not be valid
     * UTF-8 (stray continuation bytes are grouped as run.c groups them). A NUL byte is encoded by
     * byte fallback (run.c would stop there).
     */
    public int[] encodeUtf8(byte[] text, boolean bos, boolean eos) {
        Objects.requireNonNull(text, "text");
        int[] tokens = new int[text.length + 3];
        int count = 0;
        if (bos) {
            tokens[count++] = BOS;
        }
        if (text.length > 0) {
            tokens[count++] = dummyPrefix;
        }
        int i = 0;
        while (i < text.length) {
            int length = 1;
            while (length < 4 && i + length < text.length && isContinuation(text[i + length])) {
                length++;
            }
            Integer id = idsByPiece.get(new String(text, i, length, StandardCharsets.ISO_8859_1));
            if (id != null) {
                tokens[count++] = id;
            } else {
                for (int k = i; k < i + length; k++) {
                    tokens[count++] = (text[k] & 0xFF) + BYTE_OFFSET;
                }
            }
            i += length;
        }
        count = mergePairs(tokens, count);
        if (eos) {
            tokens[count++] = EOS;
        }
        return Arrays.copyOf(tokens, count);
    }

    /** A mergeable adjacent pair; versions detect that either side changed since it was queued. */
    private record Candidate(float score, int left, int right, int leftVersion, int rightVersion, int merged) {
    }

    /** Applies run.c's best-score-first merges to {@code tokens[0, count)} in place; returns the new count. */
    private int mergePairs(int[] tokens, int count) {
        if (count < 2) {
            return count;
        }
        int[] next = new int[count];
        int[] prev = new int[count];
        int[] version = new int[count];
        boolean[] removed = new boolean[count];
        for (int i = 0; i < count; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> {
            if (a.score() > b.score()) {
                return -1;
            }
            if (a.score() < b.score()) {
                return 1;
            }
            return Integer.compare(a.left(), b.left());
        });
        for (int i = 0; i + 1 < count; i++) {
            offer(queue, tokens, version, i, i + 1);
        }
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            if (removed[c.left()] || removed[c.right()] || next[c.left()] != c.right()
                    || version[c.left()] != c.leftVersion() || version[c.right()] != c.rightVersion()) {
                continue; // stale: one side was merged away or changed
            }
            tokens[c.left()] = c.merged();
            version[c.left()]++;
            removed[c.right()] = true;
            int after = next[c.right()];
            next[c.left()] = after;
            if (after < count) {
                prev[after] = c.left();
                offer(queue, tokens, version, c.left(), after);
            }
            if (prev[c.left()] >= 0) {
                offer(queue, tokens, version, prev[c.left()], c.left());
            }
        }
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (!removed[i]) {
                tokens[kept++] = tokens[i];
            }
        }
        return kept;
    }

    private void offer(PriorityQueue<Candidate> queue, int[] tokens, int[] version, int left, int right) {
        Integer merged = idsByPiece.get(pieces[tokens[left]] + pieces[tokens[right]]);
        if (merged != null && scores[merged] > NO_MERGE) {
            queue.add(new Candidate(scores[merged], left, right, version[left], version[right], merged));
        }
    }

    /**
     * run.c's {@code decode}: the piece of {@code token}, without its leading space if
     * {@code prevToken} is BOS, and as a single raw byte if it then reads {@code <0xNN>}.
     * {@code prevToken} may be any int (e.g. -1 for "none"); only {@code prevToken == BOS} matters.
     */
    @Override
    public byte[] decodePieceBytes(int prevToken, int token) {
        checkId(token);
        String piece = pieces[token];
        if (prevToken == BOS && piece.startsWith(" ")) {
            piece = piece.substring(1);
        }
        int raw = rawByte(piece);
        if (raw >= 0) {
            return new byte[] {(byte) raw};
        }
        return piece.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The bytes run.c's {@code generate} writes for {@code token} after {@code prevToken}: it
     * prints {@link #decodePieceBytes} through {@code safe_printf}, which drops a piece of exactly
     * one byte unless that byte is printable ASCII or whitespace ({@code isprint || isspace} in the
     * C locale). So a byte-fallback token for a byte {@code >= 0x80} prints nothing there.
     */
    public byte[] printedPieceBytes(int prevToken, int token) {
        byte[] piece = decodePieceBytes(prevToken, token);
        if (piece.length == 1 && !isPrintOrSpace(piece[0] & 0xFF)) {
            return new byte[0];
        }
        return piece;
    }

    /**
     * The concatenated {@link #decodePieceBytes} of {@code ids}, each piece decoded after the id
     * before it, the first one as if after BOS. BOS and EOS produce no bytes (but a BOS still makes
     * the next piece lose its leading space).
     *
     * <p>Round trip: for every string {@code s} without unpaired surrogates and any bos/eos flags,
     * {@code decode(encode(s, bos, eos)).equals(s)}: the dummy-prefix space that encoding adds is
     * the leading space that decoding strips after (an explicit or implied) BOS. This relies on no
     * merge building a piece that reads {@code <0xNN>} out of literal text; tok512.bin has none.
     * Decoding {@code encode(s, false, false)} in the middle of a sequence, after a token that is
     * not BOS, keeps that leading space.
     */
    @Override
    public byte[] decodeBytes(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = BOS;
        for (int id : ids) {
            checkId(id);
            if (id != BOS && id != EOS) {
                out.writeBytes(decodePieceBytes(prev, id));
            }
            prev = id;
        }
        return out.toByteArray();
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int bos() {
        return BOS;
    }

    @Override
    public int eos() {
        return EOS;
    }

    @Override
    public String kind() {
        return "llama2c";
    }

    @Override
    public String toString() {
        return "Llama2cTokenizer[" + source + ", vocab " + pieces.length + "]";
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " out of range [0, " + pieces.length + ") of " + source);
        }
    }

    /**
     * What {@code sscanf(piece, "<0x%02hhX>", &byte) == 1} finds: after the literal {@code <0x},
     * optional whitespace, an optional sign and then one or two hex digits (the sign counts towards
     * the width of two). As in C, the closing {@code >} is not needed for a match. Returns -1 if
     * there is no match.
     */
    static int rawByte(String piece) {
        if (!piece.startsWith("<0x")) {
            return -1;
        }
        int i = 3;
        while (i < piece.length() && isCSpace(piece.charAt(i))) {
            i++;
        }
        int width = 2;
        boolean negative = false;
        if (i < piece.length() && (piece.charAt(i) == '+' || piece.charAt(i) == '-')) {
            negative = piece.charAt(i) == '-';
            i++;
            width--;
        }
        int value = 0;
        int digits = 0;
        while (digits < width && i < piece.length() && Character.digit(piece.charAt(i), 16) >= 0
                && piece.charAt(i) < 128) {
            value = value * 16 + Character.digit(piece.charAt(i), 16);
            i++;
            digits++;
        }
        if (digits == 0) {
            return -1;
        }
        return (negative ? -value : value) & 0xFF;
    }

    private static boolean isCSpace(int c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    private static boolean isPrintOrSpace(int b) {
        return (b >= 0x20 && b <= 0x7E) || isCSpace(b);
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static String printable(String byteString) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < byteString.length(); i++) {
            char c = byteString.charAt(i);
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                sb.append(c);
            } else {
                sb.append(String.format("\\x%02X", (int) c));
            }
        }
        return sb.append('"').toString();
    }

    /** The parsed contents of a tokenizer file. */
    private record TokenizerFile(int maxTokenLength, float[] scores, byte[][] pieces) {

        /** @param vocabSize the number of tokens to read, or -1 to read until the end of the file */
        static TokenizerFile read(Path path, int vocabSize) throws IOException {
            Objects.requireNonNull(path, "path");
            if (vocabSize != -1 && vocabSize < BYTE_OFFSET + 256) {
                throw new IllegalArgumentException("vocab size " + vocabSize + " is too small for a llama2.c tokenizer ("
                        + path + "): it needs <unk>, BOS, EOS and 256 byte-fallback tokens, at least "
                        + (BYTE_OFFSET + 256));
            }
            byte[] data = Files.readAllBytes(path);
            ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            if (data.length < 4) {
                throw new IOException(path + ": " + data.length
                        + " bytes is too short for a llama2.c tokenizer (no max_token_length header)");
            }
            int maxTokenLength = in.getInt();
            if (maxTokenLength < 1 || maxTokenLength > MAX_TOKEN_LENGTH_LIMIT) {
                throw new IOException(path + ": bad max_token_length " + maxTokenLength + " (0x"
                        + Integer.toHexString(maxTokenLength) + ") at offset 0, expected 1.." + MAX_TOKEN_LENGTH_LIMIT
                        + "; not a llama2.c tokenizer file?");
            }
            int capacity = vocabSize >= 0 ? vocabSize : 1024;
            float[] scores = new float[capacity];
            byte[][] pieces = new byte[capacity][];
            int count = 0;
            String of = vocabSize >= 0 ? " of " + vocabSize : "";
            while (vocabSize >= 0 ? count < vocabSize : in.hasRemaining()) {
                int offset = in.position();
                if (in.remaining() < 8) {
                    throw new IOException(path + ": unexpected end of file in token " + count + of + " at offset "
                            + offset + " (file size " + data.length + "): need 8 bytes for score and length, "
                            + in.remaining() + " left; the file is truncated"
                            + (vocabSize >= 0 ? " or the vocab size is wrong" : ""));
                }
                float score = in.getFloat();
                int length = in.getInt();
                if (length < 0) {
                    throw new IOException(path + ": token " + count + of + " has negative length " + length
                            + " at offset " + (offset + 4) + "; not a llama2.c tokenizer file?");
                }
                if (length > maxTokenLength) {
                    throw new IOException(path + ": token " + count + of + " has length " + length + " at offset "
                            + (offset + 4) + ", more than max_token_length " + maxTokenLength
                            + "; not a llama2.c tokenizer file?");
                }
                if (in.remaining() < length) {
                    throw new IOException(path + ": unexpected end of file in token " + count + of + ": its "
                            + length + " bytes start at offset " + in.position() + " but the file ends at "
                            + data.length + "; the file is truncated");
                }
                if (count == scores.length) {
                    scores = Arrays.copyOf(scores, count * 2);
                    pieces = Arrays.copyOf(pieces, count * 2);
                }
                byte[] piece = new byte[length];
                in.get(piece);
                scores[count] = score;
                pieces[count] = piece;
                count++;
            }
            if (vocabSize >= 0 && in.hasRemaining()) {
                throw new IOException(path + ": " + in.remaining() + " bytes left after token " + (vocabSize - 1)
                        + " at offset " + in.position() + "; the file holds more tokens than vocab size " + vocabSize);
            }
            if (count < BYTE_OFFSET + 256) {
                throw new IOException(path + ": only " + count + " tokens; a llama2.c tokenizer needs <unk>, BOS, EOS"
                        + " and 256 byte-fallback tokens, at least " + (BYTE_OFFSET + 256));
            }
            return new TokenizerFile(maxTokenLength, Arrays.copyOf(scores, count), Arrays.copyOf(pieces, count));
        }
    }
}
