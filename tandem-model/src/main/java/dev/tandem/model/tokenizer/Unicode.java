package dev.tandem.model.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 encoding: an unpaired surrogate is an error rather than a silent '?'. */
final class Unicode {

    private Unicode() {
    }

    /**
     * The UTF-8 bytes of {@code text}.
     *
     * @throws IllegalArgumentException naming the index of the first unpaired surrogate
     */
    static byte[] utf8(String text) {
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text));
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("text is not valid Unicode: unpaired surrogate at char index "
                    + firstUnpairedSurrogate(text), e);
        }
    }

    /** Throws like {@link #utf8} if {@code text} has an unpaired surrogate. */
    static void requireValid(String text) {
        int at = firstUnpairedSurrogate(text);
        if (at >= 0) {
            throw new IllegalArgumentException("text is not valid Unicode: unpaired surrogate at char index " + at);
        }
    }

    static int firstUnpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
