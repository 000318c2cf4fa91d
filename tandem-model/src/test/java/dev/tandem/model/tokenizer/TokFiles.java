package dev.tandem.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes synthetic llama2.c tokenizer files for tests. */
final class TokFiles {

    record Entry(float score, byte[] piece) {
        static Entry of(float score, String piece) {
            return new Entry(score, piece.getBytes(StandardCharsets.UTF_8));
        }
    }

    private TokFiles() {
    }

    /** {@code <unk>}, BOS, EOS and the 256 byte pieces, like llama2.c's export writes them. */
    static List<Entry> base() {
        List<Entry> entries = new ArrayList<>();
        entries.add(Entry.of(0f, "<unk>"));
        entries.add(Entry.of(0f, "\n<s>\n"));
        entries.add(Entry.of(0f, "\n</s>\n"));
        for (int b = 0; b < 256; b++) {
            entries.add(Entry.of(0f, String.format("<0x%02X>", b)));
        }
        return entries;
    }

    static byte[] bytes(int maxTokenLength, List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(maxTokenLength));
        for (Entry e : entries) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(e.score()).array());
            out.writeBytes(le(e.piece().length));
            out.writeBytes(e.piece());
        }
        return out.toByteArray();
    }

    static Path write(Path file, List<Entry> entries) throws IOException {
        int max = entries.stream().mapToInt(e -> e.piece().length).max().orElse(1);
        return Files.write(file, bytes(max, entries));
    }

    static byte[] le(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }
}
