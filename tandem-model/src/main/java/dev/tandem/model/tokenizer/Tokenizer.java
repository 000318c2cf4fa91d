package dev.tandem.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * A tokenizer: text to token ids and back.
 *
 * <p>Decoding works on bytes. A single token may carry only part of a UTF-8 character (llama2.c's
 * byte-fallback tokens {@code <0xNN>} carry one byte each), so callers that print tokens one at a
 * time should write {@link #decodePieceBytes} to a byte stream, or feed the bytes through a
 * {@link Utf8StreamDecoder}, rather than concatenating {@link #decodePiece} strings.
 *
 * <p>Implementations own native or file resources only where noted; {@link #close()} is always
 * safe to call, also more than once.
 */
public sealed interface Tokenizer extends AutoCloseable permits Llama2cTokenizer, HuggingFaceTokenizer {

    /**
     * Encodes {@code text}.
     *
     * @param bos prepend the beginning-of-sequence token {@link #bos()}
     * @param eos append the end-of-sequence token {@link #eos()}
     * @throws IllegalArgumentException if {@code text} is not valid Unicode (an unpaired surrogate)
     */
    int[] encode(String text, boolean bos, boolean eos);

    /**
     * The bytes of a whole sequence of tokens, as they are printed one piece at a time.
     * BOS and EOS produce no bytes. See the implementations for the exact rule.
     */
    byte[] decodeBytes(int[] ids);

    /** {@link #decodeBytes} as a string; malformed UTF-8 becomes U+FFFD. */
    default String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** The bytes printed for {@code token} when it follows {@code prevToken}. */
    byte[] decodePieceBytes(int prevToken, int token);

    /**
     * {@link #decodePieceBytes} as a string. A piece holding part of a UTF-8 character decodes to
     * U+FFFD here; use the bytes to reassemble such characters.
     */
    default String decodePiece(int prevToken, int token) {
        return new String(decodePieceBytes(prevToken, token), StandardCharsets.UTF_8);
    }

    /** Number of token ids; every id is in {@code [0, vocabSize())}. */
    int vocabSize();

    /** The beginning-of-sequence id, or -1 if this tokenizer has none. */
    int bos();

    /** The end-of-sequence id, or -1 if this tokenizer has none. */
    int eos();

    /** {@code "llama2c"} or {@code "huggingface"}. */
    String kind();

    /** Releases native resources, if any. Idempotent; never throws a checked exception. */
    @Override
    default void close() {
    }
}
