package dev.tandem.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8StreamDecoderTest {

    @Test
    void emojiSplitIntoSingleBytesAppearsWhenComplete() {
        byte[] smile = "😀".getBytes(StandardCharsets.UTF_8);
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertEquals("", decoder.push(new byte[] {smile[0]}));
        assertEquals("", decoder.push(new byte[] {smile[1]}));
        assertEquals("", decoder.push(new byte[] {smile[2]}));
        assertEquals(3, decoder.pendingBytes());
        assertEquals("😀", decoder.push(new byte[] {smile[3]}));
        assertEquals(0, decoder.pendingBytes());
        assertEquals("", decoder.finish());
    }

    @Test
    void incompleteTailBecomesReplacementCharacterOnFinish() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertEquals("a", decoder.push(new byte[] {'a', (byte) 0xE6, (byte) 0x97}));
        assertEquals("\ufffd", decoder.finish());
    }

    @Test
    void anySplitOfAnyBytesGivesTheSameTextAsDecodingAtOnce() {
        Random random = new Random(11);
        List<String> samples = List.of("日本語 😀 é", "a\u0000b", "👨‍👩‍👧‍👦 family");
        for (int n = 0; n < 2000; n++) {
            byte[] bytes;
            if (n % 2 == 0) {
                bytes = samples.get(n % samples.size()).getBytes(StandardCharsets.UTF_8);
            } else {
                bytes = new byte[random.nextInt(24)]; // arbitrary, mostly malformed, bytes
                for (int i = 0; i < bytes.length; i++) {
                    int kind = random.nextInt(4);
                    bytes[i] = (byte) (kind == 0 ? random.nextInt(128) : kind == 1 ? 0x80 + random.nextInt(64)
                            : 0xC0 + random.nextInt(64));
                }
            }
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            StringBuilder text = new StringBuilder();
            int at = 0;
            while (at < bytes.length) {
                int next = Math.min(bytes.length, at + random.nextInt(4));
                text.append(decoder.push(Arrays.copyOfRange(bytes, at, next)));
                at = next;
            }
            text.append(decoder.finish());
            assertEquals(new String(bytes, StandardCharsets.UTF_8), text.toString(), Arrays.toString(bytes));
        }
    }
}
