package dev.tandem.model.tokenizer;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deliberately naive, independent model of llama2.c's encoder for checking
 * {@link Llama2cTokenizer}: its own file reader, code points split with
 * {@link String#codePoints()}, lookups by linear scan (first match), and merges by rescanning all
 * adjacent pairs after every merge.
 */
final class ReferenceBpe {

    final List<byte[]> pieces = new ArrayList<>();
    final List<Float> scores = new ArrayList<>();
    private final Map<String, Integer> scanCache = new HashMap<>();

    ReferenceBpe(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file); DataInputStream in = new DataInputStream(raw)) {
            Integer.reverseBytes(in.readInt()); // max_token_length, unused here
            while (in.available() > 0) {
                scores.add(Float.intBitsToFloat(Integer.reverseBytes(in.readInt())));
                byte[] piece = new byte[Integer.reverseBytes(in.readInt())];
                in.readFully(piece);
                pieces.add(piece);
            }
        }
    }

    /** First id whose piece equals {@code s}, or -1 (a linear scan, remembered per string). */
    int find(byte[] s) {
        return scanCache.computeIfAbsent(new String(s, StandardCharsets.ISO_8859_1), key -> {
            for (int i = 0; i < pieces.size(); i++) {
                if (Arrays.equals(pieces.get(i), s)) {
                    return i;
                }
            }
            return -1;
        });
    }

    int[] encode(String text, boolean bos, boolean eos) {
        List<Integer> tokens = new ArrayList<>();
        if (bos) {
            tokens.add(1);
        }
        if (!text.isEmpty()) {
            tokens.add(find(new byte[] {' '}));
        }
        text.codePoints().forEach(cp -> {
            byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            int id = find(utf8);
            if (id >= 0) {
                tokens.add(id);
            } else {
                for (byte b : utf8) {
                    tokens.add((b & 0xFF) + 3);
                }
            }
        });
        merge(tokens);
        if (eos) {
            tokens.add(2);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Merges in place: each round rescans every pair and merges the best-scoring (leftmost on ties). */
    void merge(List<Integer> tokens) {
        while (true) {
            float best = -1e10f;
            int bestAt = -1;
            int bestId = -1;
            for (int i = 0; i + 1 < tokens.size(); i++) {
                byte[] a = pieces.get(tokens.get(i));
                byte[] b = pieces.get(tokens.get(i + 1));
                byte[] ab = Arrays.copyOf(a, a.length + b.length);
                System.arraycopy(b, 0, ab, a.length, b.length);
                int id = find(ab);
                if (id >= 0 && scores.get(id) > best) {
                    best = scores.get(id);
                    bestAt = i;
                    bestId = id;
                }
            }
            if (bestAt < 0) {
                return;
            }
            tokens.set(bestAt, bestId);
            tokens.remove(bestAt + 1);
        }
    }
}
