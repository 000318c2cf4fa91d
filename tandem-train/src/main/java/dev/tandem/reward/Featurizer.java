package dev.tandem.reward;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Text → sparse feature vector for the linear reward model: hashed word and character n-grams (each block weighted
 * by sublinear TF and IDF and L2-normalised on its own) and a block of standardised surface features. Deterministic:
 * the same text gives the same vector on every JVM (FNV-1a hashing).
 */
public final class Featurizer {
    /** Number of surface features. */
    public static final int SURFACE = 16;
    static final String[] SURFACE_NAMES = {"log_chars", "log_words", "log_sentences", "mean_word_length",
        "type_token_ratio", "uppercase_share", "digit_share", "punctuation_per_word", "exclamations_per_word",
        "questions_per_word", "commas_per_word", "quotes_per_word", "log_urls", "log_newlines",
        "overlap_with_prompt", "prompt_covered"};

    private final FeatureConfig config;
    private final float[] idf;          // [2^bits] or null
    private final float[] surfaceMean;  // [SURFACE]
    private final float[] surfaceStd;   // [SURFACE]

    /** A sparse vector: strictly increasing indices and their values. */
    public record SparseVector(int[] indices, float[] values) {
        public double dot(float[] w) {
            double s = 0;
            for (int i = 0; i < indices.length; i++) s += (double) w[indices[i]] * values[i];
            return s;
        }

        public int size() { return indices.length; }
    }

    public Featurizer(FeatureConfig config, float[] idf, float[] surfaceMean, float[] surfaceStd) {
        this.config = config;
        if (config.idf() && (idf == null || idf.length != config.hashedDim())) {
            throw new IllegalArgumentException("IDF weights must have " + config.hashedDim() + " entries");
        }
        if (surfaceMean.length != SURFACE || surfaceStd.length != SURFACE) {
            throw new IllegalArgumentException("surface statistics must have " + SURFACE + " entries");
        }
        this.idf = config.idf() ? idf : null;
        this.surfaceMean = surfaceMean.clone();
        this.surfaceStd = surfaceStd.clone();
    }

    /**
     * Fits IDF and the surface features' mean and standard deviation on training (prompt, response) rows;
     * each distinct response counts once.
     */
    public static Featurizer fit(FeatureConfig config, List<String> prompts, List<String> responses) {
        Set<List<String>> distinct = new java.util.LinkedHashSet<>();
        for (int i = 0; i < prompts.size(); i++) distinct.add(List.of(prompts.get(i), responses.get(i)));
        if (distinct.isEmpty()) throw new IllegalArgumentException("no texts to fit features on");
        float[] idf = null;
        if (config.idf()) {
            int[] df = new int[config.hashedDim()];
            Set<String> docs = new HashSet<>();
            for (List<String> d : distinct) {
                if (!docs.add(d.get(1))) continue;
                long[] hashes = hashes(config, normalise(d.get(1)));
                int prev = -1;
                int[] idx = new int[hashes.length];
                for (int i = 0; i < hashes.length; i++) idx[i] = index(config, hashes[i]);
                Arrays.sort(idx);
                for (int i : idx) {
                    if (i != prev) df[i]++;
                    prev = i;
                }
            }
            idf = new float[config.hashedDim()];
            int n = docs.size();
            for (int i = 0; i < df.length; i++) idf[i] = (float) (Math.log((1.0 + n) / (1.0 + df[i])) + 1.0);
        }
        double[] sum = new double[SURFACE], sq = new double[SURFACE];
        for (List<String> d : distinct) {
            double[] s = surfaceRaw(d.get(0), d.get(1));
            for (int i = 0; i < SURFACE; i++) {
                sum[i] += s[i];
                sq[i] += s[i] * s[i];
            }
        }
        float[] mean = new float[SURFACE], std = new float[SURFACE];
        int n = distinct.size();
        for (int i = 0; i < SURFACE; i++) {
            mean[i] = (float) (sum[i] / n);
            double var = Math.max(0, sq[i] / n - mean[i] * (double) mean[i]);
            std[i] = (float) (var > 1e-12 ? Math.sqrt(var) : 1.0);
        }
        return new Featurizer(config, idf, mean, std);
    }

    public FeatureConfig config() { return config; }

    float[] idf() { return idf; }

    float[] surfaceMean() { return surfaceMean.clone(); }

    float[] surfaceStd() { return surfaceStd.clone(); }

    /** The feature vector of {@code response} as a reply to {@code prompt}. */
    public SparseVector vector(String prompt, String response) {
        String text = normalise(response);
        List<int[]> idxParts = new ArrayList<>();
        List<float[]> valParts = new ArrayList<>();
        if (config.wordNgrams() > 0) block(wordHashes(config, text), idxParts, valParts);
        if (config.charMin() > 0) block(charHashes(config, text), idxParts, valParts);
        if (config.surface()) {
            double[] s = surfaceRaw(prompt, response);
            int[] idx = new int[SURFACE];
            float[] val = new float[SURFACE];
            for (int i = 0; i < SURFACE; i++) {
                idx[i] = config.hashedDim() + i;
                val[i] = (float) ((s[i] - surfaceMean[i]) / surfaceStd[i]);
            }
            idxParts.add(idx);
            valParts.add(val);
        }
        return merge(idxParts, valParts);
    }

    /** One block: counts per hash → sublinear TF × IDF, signed, summed per index, L2-normalised. */
    private void block(long[] hashes, List<int[]> idxParts, List<float[]> valParts) {
        if (hashes.length == 0) return;
        Arrays.sort(hashes);
        int[] idx = new int[hashes.length];
        float[] val = new float[hashes.length];
        int n = 0;
        for (int i = 0; i < hashes.length; ) {
            int j = i;
            while (j < hashes.length && hashes[j] == hashes[i]) j++;
            int tf = j - i;
            int index = index(config, hashes[i]);
            double w = config.sublinearTf() ? 1 + Math.log(tf) : tf;
            if (idf != null) w *= idf[index];
            idx[n] = index;
            val[n++] = (float) (sign(hashes[i]) * w);
            i = j;
        }
        SparseVector v = merge(List.of(Arrays.copyOf(idx, n)), List.of(Arrays.copyOf(val, n)));
        double norm = 0;
        for (float x : v.values()) norm += x * (double) x;
        norm = Math.sqrt(norm);
        if (norm > 0) for (int i = 0; i < v.values().length; i++) v.values()[i] /= (float) norm;
        idxParts.add(v.indices());
        valParts.add(v.values());
    }

    /** Sorts by index and sums duplicates. */
    private static SparseVector merge(List<int[]> idxParts, List<float[]> valParts) {
        int total = 0;
        for (int[] p : idxParts) total += p.length;
        long[] packed = new long[total];
        float[] vals = new float[total];
        int k = 0;
        for (int p = 0; p < idxParts.size(); p++) {
            for (int i = 0; i < idxParts.get(p).length; i++) {
                packed[k] = ((long) idxParts.get(p)[i] << 32) | k;
                vals[k] = valParts.get(p)[i];
                k++;
            }
        }
        Arrays.sort(packed);
        int[] idx = new int[total];
        float[] val = new float[total];
        int n = 0;
        for (long pk : packed) {
            int index = (int) (pk >>> 32);
            float v = vals[(int) pk];
            if (n > 0 && idx[n - 1] == index) val[n - 1] += v;
            else {
                idx[n] = index;
                val[n++] = v;
            }
        }
        return new SparseVector(Arrays.copyOf(idx, n), Arrays.copyOf(val, n));
    }

    static String normalise(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
    }

    private static long[] hashes(FeatureConfig c, String text) {
        long[] w = c.wordNgrams() > 0 ? wordHashes(c, text) : new long[0];
        long[] ch = c.charMin() > 0 ? charHashes(c, text) : new long[0];
        long[] all = Arrays.copyOf(w, w.length + ch.length);
        System.arraycopy(ch, 0, all, w.length, ch.length);
        return all;
    }

    /** Words (letters/digits with inner apostrophes) and single punctuation marks. */
    static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        int i = 0, n = text.length();
        while (i < n) {
            int cp = text.codePointAt(i);
            if (Character.isLetterOrDigit(cp)) {
                int j = i;
                while (j < n) {
                    int c = text.codePointAt(j);
                    if (Character.isLetterOrDigit(c)) j += Character.charCount(c);
                    else if (c == '\'' && j + 1 < n && Character.isLetter(text.codePointAt(j + 1))) j++;
                    else break;
                }
                out.add(text.substring(i, j));
                i = j;
            } else {
                if (!Character.isWhitespace(cp)) out.add(new String(Character.toChars(cp)));
                i += Character.charCount(cp);
            }
        }
        return out;
    }

    private static long[] wordHashes(FeatureConfig c, String text) {
        List<String> toks = tokens(text);
        long[] out = new long[toks.size() * c.wordNgrams()];
        int k = 0;
        for (int n = 1; n <= c.wordNgrams(); n++) {
            for (int i = 0; i + n <= toks.size(); i++) {
                long h = fnv(FNV_OFFSET, 'w');
                h = fnv(h, (char) ('0' + n));
                for (int j = i; j < i + n; j++) {
                    h = fnv(h, ' ');
                    h = fnv(h, toks.get(j));
                }
                out[k++] = h;
            }
        }
        return Arrays.copyOf(out, k);
    }

    private static long[] charHashes(FeatureConfig c, String text) {
        String t = " " + text + " ";
        int len = t.length();
        long[] out = new long[Math.max(0, len) * (c.charMax() - c.charMin() + 1)];
        int k = 0;
        for (int n = c.charMin(); n <= c.charMax(); n++) {
            for (int i = 0; i + n <= len; i++) {
                long h = fnv(FNV_OFFSET, 'c');
                h = fnv(h, (char) ('0' + n));
                for (int j = i; j < i + n; j++) h = fnv(h, t.charAt(j));
                out[k++] = h;
            }
        }
        return Arrays.copyOf(out, k);
    }

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private static long fnv(long h, char c) {
        h ^= c & 0xff;
        h *= FNV_PRIME;
        h ^= c >>> 8;
        return h * FNV_PRIME;
    }

    private static long fnv(long h, String s) {
        for (int i = 0; i < s.length(); i++) h = fnv(h, s.charAt(i));
        return h;
    }

    /** Final avalanche (MurmurHash3's fmix64) so that low bits depend on every input bit. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    private static int index(FeatureConfig c, long hash) {
        return (int) (mix(hash) & (c.hashedDim() - 1));
    }

    private static int sign(long hash) {
        return (mix(hash) >>> 63) == 0 ? 1 : -1;
    }

    /** The raw surface features of a response (before standardisation). */
    static double[] surfaceRaw(String prompt, String response) {
        double[] s = new double[SURFACE];
        String lower = response.toLowerCase(Locale.ROOT);
        List<String> toks = tokens(lower);
        List<String> words = new ArrayList<>();
        for (String t : toks) if (Character.isLetterOrDigit(t.codePointAt(0))) words.add(t);
        int chars = response.codePointCount(0, response.length());
        int nw = Math.max(1, words.size());
        int letters = 0, upper = 0, digits = 0, punct = 0, excl = 0, quest = 0, commas = 0, quotes = 0, newlines = 0;
        int sentences = 0;
        boolean inEnd = false;
        for (int i = 0; i < response.length(); i++) {
            char ch = response.charAt(i);
            if (Character.isLetter(ch)) {
                letters++;
                if (Character.isUpperCase(ch)) upper++;
            } else if (Character.isDigit(ch)) digits++;
            else if (ch == '\n') newlines++;
            else if (!Character.isWhitespace(ch)) punct++;
            if (ch == '!') excl++;
            if (ch == '?') quest++;
            if (ch == ',') commas++;
            if (ch == '"' || ch == '\u201c' || ch == '\u201d') quotes++;
            boolean end = ch == '.' || ch == '!' || ch == '?';
            if (end && !inEnd) sentences++;
            inEnd = end;
        }
        int wordChars = 0;
        for (String w : words) wordChars += w.length();
        Set<String> types = new HashSet<>(words);
        Set<String> promptTypes = new HashSet<>();
        for (String t : tokens(prompt.toLowerCase(Locale.ROOT))) if (Character.isLetterOrDigit(t.codePointAt(0))) promptTypes.add(t);
        int overlap = 0;
        for (String t : types) if (promptTypes.contains(t)) overlap++;
        int urls = 0;
        for (int i = lower.indexOf("http"); i >= 0; i = lower.indexOf("http", i + 4)) urls++;
        s[0] = Math.log1p(chars);
        s[1] = Math.log1p(words.size());
        s[2] = Math.log1p(sentences);
        s[3] = words.isEmpty() ? 0 : (double) wordChars / words.size();
        s[4] = words.isEmpty() ? 0 : (double) types.size() / words.size();
        s[5] = letters == 0 ? 0 : (double) upper / letters;
        s[6] = chars == 0 ? 0 : (double) digits / chars;
        s[7] = (double) punct / nw;
        s[8] = (double) excl / nw;
        s[9] = (double) quest / nw;
        s[10] = (double) commas / nw;
        s[11] = (double) quotes / nw;
        s[12] = Math.log1p(urls);
        s[13] = Math.log1p(newlines);
        s[14] = types.isEmpty() ? 0 : (double) overlap / types.size();
        s[15] = promptTypes.isEmpty() ? 0 : (double) overlap / promptTypes.size();
        return s;
    }
}
