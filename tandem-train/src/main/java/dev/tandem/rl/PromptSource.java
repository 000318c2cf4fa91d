package dev.tandem.rl;

import dev.tandem.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Prompts encoded once, served in batches that walk through a seeded shuffle of the whole set, pass after pass;
 * batch {@code i} depends only on the seed and {@code i}, so a resumed run sees the same prompts.
 */
public final class PromptSource {
    private final List<String> texts;
    private final int[][] tokens;
    private final long seed;

    /** Encodes with BOS; prompts longer than {@code maxTokens} keep their last tokens after the BOS. */
    public PromptSource(List<String> texts, Tokenizer tok, int maxTokens, long seed) {
        if (texts.isEmpty()) throw new IllegalArgumentException("no prompts");
        if (maxTokens < 2) throw new IllegalArgumentException("prompts need room for at least 2 tokens");
        this.texts = List.copyOf(texts);
        this.tokens = new int[texts.size()][];
        for (int i = 0; i < tokens.length; i++) {
            int[] t = tok.encode(texts.get(i), true, false);
            if (t.length > maxTokens) {
                int[] cut = new int[maxTokens];
                cut[0] = t[0];
                System.arraycopy(t, t.length - (maxTokens - 1), cut, 1, maxTokens - 1);
                t = cut;
            }
            tokens[i] = t;
        }
        this.seed = seed;
    }

    private PromptSource(List<String> texts, int[][] tokens, long seed) {
        this.texts = texts;
        this.tokens = tokens;
        this.seed = seed;
    }

    /** Prompts given as token ids (benchmarks); their texts are decoded for the reward model. */
    public static PromptSource ofTokens(int[][] tokens, Tokenizer tok, long seed) {
        if (tokens.length == 0) throw new IllegalArgumentException("no prompts");
        List<String> texts = new ArrayList<>();
        int[][] copy = new int[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].length == 0) throw new IllegalArgumentException("prompt " + i + " is empty");
            copy[i] = tokens[i].clone();
            texts.add(tok.decode(copy[i]));
        }
        return new PromptSource(List.copyOf(texts), copy, seed);
    }

    public int size() { return texts.size(); }

    /** Prompt indices of batch {@code index} ({@code size} of them). */
    public int[] batch(long index, int size) {
        int n = texts.size();
        int[] out = new int[size];
        long cachedPass = -1;
        int[] perm = null;
        for (int i = 0; i < size; i++) {
            long global = index * size + i;
            long pass = global / n;
            if (pass != cachedPass) {
                perm = Seeds.permutation(n, Seeds.mix(seed, 0x5052, pass));
                cachedPass = pass;
            }
            out[i] = perm[(int) (global % n)];
        }
        return out;
    }

    public List<String> texts(int[] idx) {
        List<String> out = new ArrayList<>(idx.length);
        for (int i : idx) out.add(texts.get(i));
        return out;
    }

    public int[][] tokens(int[] idx) {
        int[][] out = new int[idx.length][];
        for (int i = 0; i < idx.length; i++) out[i] = tokens[idx[i]];
        return out;
    }

    public int longest() {
        int m = 0;
        for (int[] t : tokens) m = Math.max(m, t.length);
        return m;
    }
}
