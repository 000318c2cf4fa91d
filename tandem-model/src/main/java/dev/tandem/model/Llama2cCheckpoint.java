package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reader for llama2.c's legacy {@code .bin} checkpoints (karpathy/llama2.c {@code run.c}).
 *
 * <p>Layout: 7 little-endian int32 ({@code dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 * seq_len}; a negative vocab_size means an unshared classifier), then fp32 arrays in run.c order, the legacy
 * freq_cis tables (skipped), and {@code wcls} when unshared.
 */
public final class Llama2cCheckpoint {
    private static final int HEADER_BYTES = 7 * Integer.BYTES;
    private static final int VERSION1_MAGIC = 0x616b3432; // "ak42", llama2.c's newer export.py format

    private Llama2cCheckpoint() {}

    /** Reads only the header. */
    public static LlamaConfig readConfig(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return header(file, ch);
        }
    }

    /** Loads the whole checkpoint into a new model. */
    public static Llama load(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            LlamaConfig c = header(file, ch);
            long floats = floatCount(c);
            long expected = HEADER_BYTES + 4 * floats;
            if (ch.size() != expected) {
                throw new IOException(file + ": " + (ch.size() < expected ? "truncated" : "has trailing bytes")
                        + ": a llama2.c checkpoint with " + describe(c) + " is " + expected + " bytes, this file is "
                        + ch.size());
            }
            FloatBuffer f = ch.map(FileChannel.MapMode.READ_ONLY, HEADER_BYTES, 4 * floats)
                    .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            int d = c.dim(), h = c.hiddenDim(), nl = c.nLayers(), kv = c.kvDim(), v = c.vocabSize();
            float[] tok = take(f, (long) v * d);
            float[] rmsAtt = take(f, (long) nl * d);
            float[] wq = take(f, (long) nl * d * d);
            float[] wk = take(f, (long) nl * d * kv);
            float[] wv = take(f, (long) nl * d * kv);
            float[] wo = take(f, (long) nl * d * d);
            float[] rmsFfn = take(f, (long) nl * d);
            float[] w1 = take(f, (long) nl * h * d);
            float[] w2 = take(f, (long) nl * d * h);
            float[] w3 = take(f, (long) nl * h * d);
            float[] rmsFinal = take(f, d);
            f.position(f.position() + c.seqLen() * c.headSize()); // legacy freq_cis_real and freq_cis_imag
            float[] wcls = c.sharedClassifier() ? null : take(f, (long) v * d);

            NDManager m = NDManager.newBaseManager();
            try {
                Map<String, NDArray> p = new LinkedHashMap<>();
                p.put("tok_embeddings.weight", m.create(tok, new Shape(v, d)));
                for (int l = 0; l < nl; l++) {
                    String pre = "layers." + l + ".";
                    p.put(pre + "attention_norm.weight", m.create(slice(rmsAtt, l, d), new Shape(d)));
                    float[] wqkv = concat(slice(wq, l, d * d), slice(wk, l, d * kv), slice(wv, l, d * kv));
                    p.put(pre + "attention.wqkv.weight", m.create(wqkv, new Shape(d + 2L * kv, d)));
                    p.put(pre + "attention.wo.weight", m.create(slice(wo, l, d * d), new Shape(d, d)));
                    p.put(pre + "ffn_norm.weight", m.create(slice(rmsFfn, l, d), new Shape(d)));
                    float[] w13 = concat(slice(w1, l, h * d), slice(w3, l, h * d));
                    p.put(pre + "feed_forward.w13.weight", m.create(w13, new Shape(2L * h, d)));
                    p.put(pre + "feed_forward.w2.weight", m.create(slice(w2, l, d * h), new Shape(d, h)));
                }
                p.put("norm.weight", m.create(rmsFinal, new Shape(d)));
                if (wcls != null) p.put("output.weight", m.create(wcls, new Shape(v, d)));
                return new Llama(c, m, p);
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
    }

    private static LlamaConfig header(Path file, FileChannel ch) throws IOException {
        if (ch.size() < HEADER_BYTES) {
            throw new IOException(file + ": not a llama2.c checkpoint: " + ch.size()
                    + " bytes is shorter than the 28-byte header");
        }
        ByteBuffer hb = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (hb.hasRemaining()) if (ch.read(hb, hb.position()) < 0) break;
        hb.flip();
        int[] hdr = new int[7];
        for (int i = 0; i < 7; i++) hdr[i] = hb.getInt();
        if (hdr[0] == VERSION1_MAGIC) {
            throw new IOException(file + ": llama2.c version-1 export (magic \"ak42\") is not supported; "
                    + "export the model with llama2.c's legacy format (export.py --version 0)");
        }
        String names = "dim=" + hdr[0] + ", hidden_dim=" + hdr[1] + ", n_layers=" + hdr[2] + ", n_heads=" + hdr[3]
                + ", n_kv_heads=" + hdr[4] + ", vocab_size=" + hdr[5] + ", seq_len=" + hdr[6];
        boolean plausible = hdr[0] > 0 && hdr[0] <= 65536 && hdr[1] > 0 && hdr[1] <= 1 << 20 && hdr[2] > 0
                && hdr[2] <= 1024 && hdr[3] > 0 && hdr[3] <= 1024 && hdr[4] > 0 && hdr[4] <= 1024
                && hdr[5] != 0 && Math.abs((long) hdr[5]) <= 1 << 22 && hdr[6] > 0 && hdr[6] <= 1 << 20;
        if (!plausible) {
            throw new IOException(file + ": not a llama2.c checkpoint: implausible header (" + names + ")");
        }
        try {
            return LlamaConfig.of(hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], Math.abs(hdr[5]), hdr[6], hdr[5] > 0);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": not a valid llama2.c checkpoint (" + names + "): " + e.getMessage(), e);
        }
    }

    /** Number of fp32 values after the header. */
    static long floatCount(LlamaConfig c) {
        long d = c.dim(), h = c.hiddenDim(), nl = c.nLayers(), kv = c.kvDim(), v = c.vocabSize();
        long n = v * d + nl * d + nl * d * d + 2 * nl * d * kv + nl * d * d + nl * d + 3 * nl * h * d + d
                + (long) c.seqLen() * c.headSize();
        return c.sharedClassifier() ? n : n + v * d;
    }

    private static String describe(LlamaConfig c) {
        return "dim=" + c.dim() + ", hidden_dim=" + c.hiddenDim() + ", n_layers=" + c.nLayers() + ", n_heads="
                + c.nHeads() + ", n_kv_heads=" + c.nKvHeads() + ", vocab_size=" + c.vocabSize() + ", seq_len="
                + c.seqLen() + (c.sharedClassifier() ? " (shared classifier)" : " (unshared classifier)");
    }

    private static float[] take(FloatBuffer f, long n) {
        float[] out = new float[Math.toIntExact(n)];
        f.get(out);
        return out;
    }

    private static float[] slice(float[] a, int index, int size) {
        float[] out = new float[size];
        System.arraycopy(a, index * size, out, 0, size);
        return out;
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Writes a model in llama2.c's legacy format (used by tests to build small foreign checkpoints). */
    public static void write(Llama model, Path file) throws IOException {
        LlamaConfig c = model.config();
        int d = c.dim(), h = c.hiddenDim(), kv = c.kvDim();
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(HEADER_BYTES + 4 * floatCount(c)))
                .order(ByteOrder.LITTLE_ENDIAN);
        int[] hdr = {d, h, c.nLayers(), c.nHeads(), c.nKvHeads(),
                c.sharedClassifier() ? c.vocabSize() : -c.vocabSize(), c.seqLen()};
        for (int x : hdr) out.putInt(x);
        Map<String, NDArray> p = model.parameters();
        FloatBuffer f = out.asFloatBuffer();
        f.put(p.get("tok_embeddings.weight").toFloatArray());
        for (int l = 0; l < c.nLayers(); l++) f.put(p.get("layers." + l + ".attention_norm.weight").toFloatArray());
        int[][] qkvRanges = {{0, d * d}, {d * d, d * d + d * kv}, {d * d + d * kv, d * d + 2 * d * kv}};
        for (int[] r : qkvRanges) {
            for (int l = 0; l < c.nLayers(); l++) {
                float[] w = p.get("layers." + l + ".attention.wqkv.weight").toFloatArray();
                f.put(w, r[0], r[1] - r[0]);
            }
        }
        for (int l = 0; l < c.nLayers(); l++) f.put(p.get("layers." + l + ".attention.wo.weight").toFloatArray());
        for (int l = 0; l < c.nLayers(); l++) f.put(p.get("layers." + l + ".ffn_norm.weight").toFloatArray());
        for (int l = 0; l < c.nLayers(); l++) f.put(p.get("layers." + l + ".feed_forward.w13.weight").toFloatArray(), 0, h * d);
        for (int l = 0; l < c.nLayers(); l++) f.put(p.get("layers." + l + ".feed_forward.w2.weight").toFloatArray());
        for (int l = 0; l < c.nLayers(); l++) f.put(p.get("layers." + l + ".feed_forward.w13.weight").toFloatArray(), h * d, h * d);
        f.put(p.get("norm.weight").toFloatArray());
        f.put(new float[c.seqLen() * c.headSize()]);
        if (!c.sharedClassifier()) f.put(p.get("output.weight").toFloatArray());
        Files.write(file, out.array());
    }
}
