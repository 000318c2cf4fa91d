package dev.tandem.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of token pieces (bytes) into text, holding back an incomplete UTF-8 sequence at
 * the end until the bytes that complete it arrive. For example the byte-fallback tokens
 * {@code <0xF0> <0x9F> <0x98> <0x80>} give "", "", "", "😀".
 *
 * <p>Malformed bytes become U+FFFD, as {@link String#String(byte[], java.nio.charset.Charset)} does;
 * the concatenation of everything returned by {@link #push} and {@link #finish} equals
 * {@code new String(allBytes, UTF_8)}. Not thread-safe: one instance per stream.
 */
public final class Utf8StreamDecoder {

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** Adds {@code bytes} and returns the text that is now complete (possibly empty). */
    public String push(byte[] bytes) {
        pending.writeBytes(bytes);
        byte[] all = pending.toByteArray();
        int complete = completePrefixLength(all);
        pending.reset();
        pending.write(all, complete, all.length - complete);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is held back (an incomplete sequence decodes to U+FFFD) and resets. */
    public String finish() {
        byte[] rest = pending.toByteArray();
        pending.reset();
        return new String(rest, StandardCharsets.UTF_8);
    }

    /** Bytes held back, waiting for the rest of a character. */
    public int pendingBytes() {
        return pending.size();
    }

    /**
     * Length of the longest prefix that does not end inside a UTF-8 sequence that could still be
     * completed: trailing bytes are held back only if they are a lead byte followed by fewer
     * continuation bytes than it announces.
     */
    static int completePrefixLength(byte[] bytes) {
        int n = bytes.length;
        // A sequence is at most 4 bytes, so only the last 3 bytes can be an unfinished start.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int b = bytes[n - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for its lead byte
            }
            int needed = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
            return needed > back ? n - back : n;
        }
        return n;
    }
}
