package dev.tandem.rl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.model.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training data for SFT, split into train and held-out parts.
 *
 * <ul>
 *   <li>{@link Demonstrations}: {@code {"prompt": …, "response": …}} JSONL (also {@code "completion"}, as
 *       {@code tandem export demonstrations} writes). The loss covers the response tokens only.</li>
 *   <li>{@link Text}: plain text, read paragraph by paragraph and cut into windows of {@code blockSize + 1} tokens
 *       at seeded random offsets; the loss covers every token after the first of each window. The last part of the
 *       token stream is held out.</li>
 * </ul>
 */
public sealed interface SftData permits SftData.Demonstrations, SftData.Text {

    /** A prompt (BOS first) and the tokens to learn after it. */
    record Example(int[] prompt, int[] response) {}

    /** Training batch {@code index} of {@code size} examples (depends only on the seed and the index). */
    List<Example> batch(long index, int size, long seed);

    /** Held-out examples (possibly none). */
    List<Example> heldOut();

    int trainSize();

    /** Reads {@code .jsonl} as demonstrations and anything else as plain text. */
    static SftData read(Path file, Tokenizer tok, int maxPromptTokens, int maxResponseTokens, int blockSize,
            double evalFraction, long seed) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("SFT data not found: " + file);
        if (!(evalFraction >= 0 && evalFraction < 1)) throw new IllegalArgumentException("evalFraction must be in [0, 1)");
        return file.getFileName().toString().endsWith(".jsonl")
                ? Demonstrations.read(file, tok, maxPromptTokens, maxResponseTokens, evalFraction, seed)
                : Text.read(file, tok, blockSize, evalFraction);
    }

    /** Demonstrations, held out by a seeded shuffle. */
    record Demonstrations(List<Example> train, List<Example> heldOut) implements SftData {
        static Demonstrations read(Path file, Tokenizer tok, int maxPrompt, int maxResponse, double evalFraction,
                long seed) throws IOException {
            ObjectMapper json = new ObjectMapper();
            List<Example> all = new ArrayList<>();
            int n = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                n++;
                if (line.isBlank()) continue;
                JsonNode o;
                try {
                    o = json.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new IOException(file + ":" + n + ": invalid JSON: " + e.getOriginalMessage());
                }
                String prompt = text(file, n, o, "prompt");
                String response = o.has("response") ? text(file, n, o, "response") : text(file, n, o, "completion");
                int[] p = tok.encode(prompt, true, false);
                if (p.length > maxPrompt) {
                    int[] cut = new int[maxPrompt];
                    cut[0] = p[0];
                    System.arraycopy(p, p.length - (maxPrompt - 1), cut, 1, maxPrompt - 1);
                    p = cut;
                }
                int[] r = tok.encode(response, false, true);
                if (r.length > maxResponse) r = Arrays.copyOf(r, maxResponse);
                all.add(new Example(p, r));
            }
            if (all.isEmpty()) throw new IOException(file + ": no demonstrations");
            int[] perm = Seeds.permutation(all.size(), Seeds.mix(seed, 0x5346));
            int held = (int) Math.round(all.size() * evalFraction);
            List<Example> train = new ArrayList<>(), eval = new ArrayList<>();
            for (int i = 0; i < perm.length; i++) (i < held ? eval : train).add(all.get(perm[i]));
            if (train.isEmpty()) throw new IOException(file + ": nothing left to train on after holding out " + held);
            return new Demonstrations(List.copyOf(train), List.copyOf(eval));
        }

        private static String text(Path file, int line, JsonNode o, String field) throws IOException {
            JsonNode v = o.get(field);
            if (v == null || v.isNull()) {
                throw new IOException(file + ":" + line + ": field '" + field + "': missing"
                        + (field.equals("completion") ? " (need 'response' or 'completion')" : ""));
            }
            if (!v.isTextual()) throw new IOException(file + ":" + line + ": field '" + field + "': expected a string");
            return v.asText();
        }

        @Override
        public List<Example> batch(long index, int size, long seed) {
            int n = train.size();
            List<Example> out = new ArrayList<>(size);
            long cachedPass = -1;
            int[] perm = null;
            for (int i = 0; i < size; i++) {
                long g = index * size + i, pass = g / n;
                if (pass != cachedPass) {
                    perm = Seeds.permutation(n, Seeds.mix(seed, 0x5347, pass));
                    cachedPass = pass;
                }
                out.add(train.get(perm[(int) (g % n)]));
            }
            return out;
        }

        @Override
        public int trainSize() { return train.size(); }
    }

    /** A token stream; the last {@code evalFraction} of it is held out as consecutive windows. */
    record Text(int[] tokens, int trainEnd, int blockSize) implements SftData {
        static Text read(Path file, Tokenizer tok, int blockSize, double evalFraction) throws IOException {
            if (blockSize < 2) throw new IllegalArgumentException("blockSize must be >= 2");
            String text = Files.readString(file, StandardCharsets.UTF_8);
            // paragraph by paragraph: the llama2.c tokenizer's merges are quadratic in the length of what it encodes
            int[] buf = new int[Math.max(16, text.length() / 2)];
            int n = 0;
            for (String para : text.split("\\n\\s*\\n")) {
                if (para.isBlank()) continue;
                int[] t = tok.encode(para.strip() + "\n", true, false);
                if (n + t.length > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + t.length));
                System.arraycopy(t, 0, buf, n, t.length);
                n += t.length;
            }
            int[] tokens = Arrays.copyOf(buf, n);
            int trainEnd = (int) Math.round(n * (1 - evalFraction));
            if (trainEnd < blockSize + 1) {
                throw new IOException(file + ": " + trainEnd + " training tokens is less than one window of " + (blockSize + 1));
            }
            if (evalFraction > 0 && n - trainEnd < blockSize + 1) {
                throw new IOException(file + ": the held-out part (" + (n - trainEnd) + " tokens) is shorter than one window");
            }
            return new Text(tokens, trainEnd, blockSize);
        }

        @Override
        public List<Example> batch(long index, int size, long seed) {
            SplittableRandom r = new SplittableRandom(Seeds.mix(seed, 0x5354, index));
            List<Example> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) out.add(window(r.nextInt(trainEnd - blockSize)));
            return out;
        }

        private Example window(int start) {
            return new Example(new int[] {tokens[start]}, Arrays.copyOfRange(tokens, start + 1, start + blockSize + 1));
        }

        @Override
        public List<Example> heldOut() {
            List<Example> out = new ArrayList<>();
            for (int s = trainEnd; s + blockSize + 1 <= tokens.length && out.size() < 64; s += blockSize) out.add(window(s));
            return out;
        }

        @Override
        public int trainSize() { return trainEnd; }
    }
}
