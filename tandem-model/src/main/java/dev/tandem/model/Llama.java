package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.ndarray.types.SparseFormat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Llama transformer (as in llama2.c), written with DJL ops so that autograd can train it.
 *
 * <p>Shapes: B batch rows, T positions in this call, Tk key positions (T, or the KV-cache length),
 * D = dim, H = hidden_dim, nH query heads, nKV key/value heads, g = nH / nKV, hs = head size, V = vocab.
 *
 * <p>Weights use the [out, in] layout of llama2.c and Hugging Face ({@code y = x W^T}). Two fusions save ops:
 * {@code wqkv} stacks wq, wk and wv ([D + 2·kvDim, D]) and {@code w13} stacks w1 and w3 ([2H, D]).
 *
 * <p>Every intermediate array lands in the manager of the call's input, so a caller that closes its manager
 * frees all of them. Parameters live in this model's own manager.
 */
public final class Llama implements AutoCloseable {

    /** Additive attention bias for masked keys: large and finite, so fully-masked pad rows give no NaN. */
    static final float MASKED = -1e9f;

    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params; // insertion-ordered, names as stored in checkpoints
    private final NDArray tokEmbedding;        // [V, D]
    private final Layer[] layers;
    private final NDArray rmsFinal;            // [D]
    private final NDArray wcls;                // [V, D]; the token embedding itself when shared
    private final NDArray headWeight;          // [1, D] scalar (value/reward) head, or null
    private final NDArray headBias;            // [1]
    private final NDArray ropeCos;             // [seqLen, hs]: cos(pos·θ_i), each pair's value twice
    private final NDArray ropeSin;             // [seqLen, hs]: (−sin, +sin)(pos·θ_i) for each pair
    private final NDArray headScale;           // [1, 1, nH + nKV, 1]: 1/sqrt(hs) for query heads, 1 for keys

    /** Queries per block of the blocked causal attention (see {@link #attendAll}). */
    static final int QUERY_BLOCK = 32;
    /** Blocked attention only pays when the scores are large (B·nH·T² elements); below this, fewer ops win. */
    static final long BLOCKED_MIN_SCORES = 4L << 20;

    /** One transformer block's weights. */
    record Layer(
            NDArray rmsAtt,  // [D]
            NDArray wqkv,    // [D + 2·kvDim, D]
            NDArray wo,      // [D, D]
            NDArray rmsFfn,  // [D]
            NDArray w13,     // [2H, D]
            NDArray w2) {}   // [D, H]

    /**
     * Builds a model over the given named parameters (see {@link #parameterShapes}), taking ownership of them.
     * Missing or mis-shaped parameters are reported all at once.
     */
    public Llama(LlamaConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        Map<String, Shape> expected = parameterShapes(config, params.containsKey(HEAD_WEIGHT));
        List<String> problems = new ArrayList<>();
        for (var e : expected.entrySet()) {
            NDArray p = params.get(e.getKey());
            if (p == null) problems.add("missing " + e.getKey() + " " + e.getValue());
            else if (!p.getShape().equals(e.getValue()))
                problems.add(e.getKey() + " has shape " + p.getShape() + ", expected " + e.getValue());
            else if (p.getDataType() != DataType.FLOAT32)
                problems.add(e.getKey() + " has dtype " + p.getDataType() + ", expected float32");
        }
        for (String name : params.keySet()) if (!expected.containsKey(name)) problems.add("unexpected " + name);
        if (!problems.isEmpty()) throw new IllegalArgumentException("parameters do not fit " + config + ": "
                + String.join("; ", problems));
        LinkedHashMap<String, NDArray> ordered = new LinkedHashMap<>();
        for (String name : expected.keySet()) {
            NDArray p = params.get(name);
            p.attach(manager);
            ordered.put(name, p);
        }
        this.params = Collections.unmodifiableMap(ordered);
        this.tokEmbedding = ordered.get("tok_embeddings.weight");
        this.layers = new Layer[config.nLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = "layers." + l + ".";
            layers[l] = new Layer(ordered.get(p + "attention_norm.weight"), ordered.get(p + "attention.wqkv.weight"),
                    ordered.get(p + "attention.wo.weight"), ordered.get(p + "ffn_norm.weight"),
                    ordered.get(p + "feed_forward.w13.weight"), ordered.get(p + "feed_forward.w2.weight"));
        }
        this.rmsFinal = ordered.get("norm.weight");
        this.wcls = config.sharedClassifier() ? tokEmbedding : ordered.get("output.weight");
        this.headWeight = ordered.get(HEAD_WEIGHT);
        this.headBias = ordered.get(HEAD_BIAS);

        // RoPE tables exactly as llama2.c, each pair's angle repeated for both of its elements; the sine carries the
        // rotation's signs, so that rope(x) = x·cos + swapPairs(x)·sin (see rope()).
        int hs = config.headSize();
        float[][] angles = Rope.tables(config);
        float[] cos = new float[config.seqLen() * hs];
        float[] sin = new float[config.seqLen() * hs];
        for (int i = 0; i < angles[0].length; i++) {
            cos[2 * i] = cos[2 * i + 1] = angles[0][i];
            sin[2 * i] = -angles[1][i];
            sin[2 * i + 1] = angles[1][i];
        }
        this.ropeCos = manager.create(cos, new Shape(config.seqLen(), hs));
        this.ropeSin = manager.create(sin, new Shape(config.seqLen(), hs));
        float[] scale = new float[config.nHeads() + config.nKvHeads()];
        java.util.Arrays.fill(scale, 0, config.nHeads(), (float) (1.0 / Math.sqrt(hs)));
        java.util.Arrays.fill(scale, config.nHeads(), scale.length, 1f);
        this.headScale = manager.create(scale, new Shape(1, 1, scale.length, 1));
    }

    public static final String HEAD_WEIGHT = "score_head.weight";
    public static final String HEAD_BIAS = "score_head.bias";

    /** The names and shapes of every parameter, in checkpoint order. */
    public static Map<String, Shape> parameterShapes(LlamaConfig c, boolean withScalarHead) {
        Map<String, Shape> s = new LinkedHashMap<>();
        int d = c.dim(), h = c.hiddenDim();
        s.put("tok_embeddings.weight", new Shape(c.vocabSize(), d));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "layers." + l + ".";
            s.put(p + "attention_norm.weight", new Shape(d));
            s.put(p + "attention.wqkv.weight", new Shape(d + 2L * c.kvDim(), d));
            s.put(p + "attention.wo.weight", new Shape(d, d));
            s.put(p + "ffn_norm.weight", new Shape(d));
            s.put(p + "feed_forward.w13.weight", new Shape(2L * h, d));
            s.put(p + "feed_forward.w2.weight", new Shape(d, h));
        }
        s.put("norm.weight", new Shape(d));
        if (!c.sharedClassifier()) s.put("output.weight", new Shape(c.vocabSize(), d));
        if (withScalarHead) {
            s.put(HEAD_WEIGHT, new Shape(1, d));
            s.put(HEAD_BIAS, new Shape(1));
        }
        return s;
    }

    public LlamaConfig config() { return config; }

    public boolean hasScalarHead() { return headWeight != null; }

    /** All parameters by checkpoint name (read-only map; the arrays are the live weights). */
    public Map<String, NDArray> parameters() { return params; }

    public NDManager manager() { return manager; }

    // ---------------------------------------------------------------------------------------------------------
    // The blocks

    /** RMSNorm: x · w / sqrt(mean(x²) + eps). x [..., D], w [D]. */
    NDArray rmsNorm(NDArray x, NDArray w) {
        NDArray ms = x.square().mean(new int[] {-1}, true);     // [..., 1]
        return x.div(ms.add(config.normEps()).sqrt()).mul(w); // not pow(-0.5f): see GraphScalars
    }

    /**
     * Rotary embedding on interleaved pairs, as llama2.c: (a, b) → (a·cos − b·sin, a·sin + b·cos), i.e.
     * x·cos + (b, a)·(−sin, sin): element-wise, with the pair swap as a flip of a [.., hs/2, 2] view.
     * x [B, T, heads, hs]; cos, sin [B, T, heads or 1, hs] (sin signed as in {@link #ropeSin}).
     */
    NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        Shape s = x.getShape();
        NDArray swapped = x.reshape(s.get(0), s.get(1), s.get(2), s.get(3) / 2, 2).flip(4).reshape(s);
        return x.mul(cos).add(swapped.mul(sin));
    }

    /** SwiGLU feed-forward: w2 · (silu(w1·x) ⊙ w3·x). x [B, T, D] → [B, T, D]. */
    NDArray swiglu(NDArray x, Layer layer) {
        NDList h13 = Linear.linear(x, layer.w13).singletonOrThrow().split(2, 2); // 2 × [B, T, H]
        NDArray h1 = h13.get(0), h3 = h13.get(1);
        return Linear.linear(h1.mul(Activation.sigmoid(h1)).mul(h3), layer.w2).singletonOrThrow();
    }

    /**
     * Grouped-query attention for one block. x [B, T, D] (already normed), bias [B, 1, 1, T, Tk]; cos, sin
     * [B, T, nH + nKV, hs] with the query scale 1/sqrt(hs) folded in.
     * With a cache, this call's keys and values are written at columns [offset, offset + T) and attention runs
     * over all Tk = cache length columns (the bias hides the ones not written yet).
     */
    NDArray attention(NDArray x, int l, NDArray cos, NDArray sin, NDArray bias, KvCache cache, int offset) {
        long b = x.getShape().get(0), t = x.getShape().get(1);
        Qkv h = qkv(x, l, cos, sin);
        NDArray k = h.k(), v = h.v();
        if (cache != null) {
            cache.write(l, offset, k, v);
            k = cache.keys(l);                                                    // [B, nKV, Tk, hs]
            v = cache.values(l);
        }
        return output(attendAll(h.q(), k, v, bias, b, t, cache == null), l, b, t);
    }

    /**
     * Queries, keys and values of one block, with RoPE: q [B, nKV, T·g, hs] (scaled), k and v [B, nKV, T, hs].
     * The g query heads that share a key/value head are stacked as rows (t, g) of one matrix per kv head, so the
     * score matmul needs no broadcast of keys and a block of query positions is a contiguous row range.
     */
    private record Qkv(NDArray q, NDArray k, NDArray v) {}

    private Qkv qkv(NDArray x, int l, NDArray cos, NDArray sin) {
        LlamaConfig c = config;
        long b = x.getShape().get(0), t = x.getShape().get(1);
        int hs = c.headSize(), nH = c.nHeads(), nKv = c.nKvHeads(), g = c.groupSize();
        NDList qkv = Linear.linear(x, layers[l].wqkv).singletonOrThrow()          // [B, T, D + 2·kvDim]
                .split(new long[] {c.dim() + c.kvDim()}, 2);
        NDArray qk = rope(qkv.get(0).reshape(b, t, nH + nKv, hs), cos, sin);      // [B, T, nH + nKV, hs]
        NDList qkSplit = qk.split(new long[] {nH}, 2);
        NDArray q = qkSplit.get(0)                                                // [B, T, nH, hs], scaled
                .reshape(b, t, nKv, g, hs).transpose(0, 2, 1, 3, 4)               // [B, nKV, T, g, hs]
                .reshape(b, nKv, t * g, hs);                                      // [B, nKV, T·g, hs]
        NDArray k = qkSplit.get(1).transpose(0, 2, 1, 3);                         // [B, nKV, T, hs]
        NDArray v = qkv.get(1).reshape(b, t, nKv, hs).transpose(0, 2, 1, 3);      // [B, nKV, T, hs]
        return new Qkv(q, k, v);
    }

    /**
     * softmax(q·kᵀ + bias)·v for T queries over Tk keys; bias [B, 1, 1, T, Tk]. When {@code causal} (the queries
     * are the last T of the keys' positions, no cache), large batches run in blocks of {@link #QUERY_BLOCK} queries,
     * each over only the keys up to its last query: (n+1)/2n of the full T×T scores for n blocks, and smaller arrays.
     */
    private NDArray attendAll(NDArray q, NDArray k, NDArray v, NDArray bias, long b, long t, boolean causal) {
        int nKv = config.nKvHeads(), g = config.groupSize();
        long tk = k.getShape().get(2), past = tk - t;                             // keys before the first query
        NDArray rowBias = bias.reshape(-1, 1, t, 1, tk);                          // [B, 1, T, 1, Tk]
        if (!causal || t < 2L * QUERY_BLOCK || b * config.nHeads() * t * tk < BLOCKED_MIN_SCORES) {
            return attend(q, k, v, rowBias, b, nKv, g, t, tk);
        }
        NDList blocks = new NDList();
        for (long s = 0; s < t; s += QUERY_BLOCK) {
            long e = Math.min(t, s + QUERY_BLOCK), ke = past + e;                 // queries [s, e), keys [0, ke)
            blocks.add(attend(q.get(new NDIndex(":, :, {}:{}", s * g, e * g)),
                    k.get(new NDIndex(":, :, :{}", ke)), v.get(new NDIndex(":, :, :{}", ke)),
                    rowBias.get(new NDIndex(":, :, {}:{}, :, :{}", s, e, ke)), b, nKv, g, e - s, ke));
        }
        return NDArrays.concat(blocks, 2);
    }

    /** Heads back to rows and the output projection: [B, nKV, T·g, hs] → [B, T, D]. */
    private NDArray output(NDArray out, int l, long b, long t) {
        int nKv = config.nKvHeads(), g = config.groupSize(), hs = config.headSize();
        out = out.reshape(b, nKv, t, g, hs).transpose(0, 2, 1, 3, 4)              // [B, T, nKV, g, hs]
                .reshape(b, t, config.dim());
        return Linear.linear(out, layers[l].wo).singletonOrThrow();               // [B, T, D]
    }

    /** softmax(q·kᵀ + bias)·v: q [B, nKV, T·g, hs], k and v [B, nKV, Tk, hs], bias [B, 1, T, 1, Tk]. */
    private static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, long b, int nKv, int g, long t,
            long tk) {
        NDArray att = q.matMul(k.transpose(0, 1, 3, 2))                          // [B, nKV, T·g, Tk]
                .reshape(b, nKv, t, g, tk).add(bias)                              // [B, nKV, T, g, Tk]
                .softmax(-1).reshape(b, nKv, t * g, tk);
        return att.matMul(v);                                                     // [B, nKV, T·g, hs]
    }

    /**
     * The transformer trunk: final-normed hidden states [B, T, D].
     *
     * @param tokens    [B, T] token ids (int32 or int64)
     * @param positions [B, T] rotary positions (int64), per row, so left padding keeps true positions
     * @param bias      [B, 1, 1, T, Tk] additive attention bias (0 visible, {@link #MASKED} hidden);
     *                  see {@link Masks}
     * @param cache     KV cache to write this call's keys/values into, or null to attend (causally) within the call
     * @param offset    first cache column written by this call
     */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray bias, KvCache cache, int offset) {
        return rmsNorm(blocks(tokens, positions, bias, cache, offset, layers.length), rmsFinal);
    }

    /** The residual stream [B, T, D] after the first n blocks (see {@link #forward}). */
    private NDArray blocks(NDArray tokens, NDArray positions, NDArray bias, KvCache cache, int offset, int n) {
        NDArray x = Embedding.embedding(tokens, tokEmbedding, SparseFormat.DENSE).singletonOrThrow(); // [B, T, D]
        NDArray[] cs = ropeAt(positions);
        for (int l = 0; l < n; l++) {
            x = x.add(attention(rmsNorm(x, layers[l].rmsAtt), l, cs[0], cs[1], bias, cache, offset));
            x = x.add(swiglu(rmsNorm(x, layers[l].rmsFfn), layers[l]));
        }
        return x;
    }

    /** cos and sin [B, T, nH + nKV, hs] at positions [B, T], with the query scale folded in. */
    private NDArray[] ropeAt(NDArray positions) {
        long b = positions.getShape().get(0), t = positions.getShape().get(1), hs = config.headSize();
        NDArray cos = Embedding.embedding(positions, ropeCos, SparseFormat.DENSE).singletonOrThrow()
                .reshape(b, t, 1, hs).mul(headScale);                             // [B, T, nH + nKV, hs]
        NDArray sin = Embedding.embedding(positions, ropeSin, SparseFormat.DENSE).singletonOrThrow()
                .reshape(b, t, 1, hs).mul(headScale);
        return new NDArray[] {cos, sin};
    }

    /**
     * The trunk over a packed batch: final-normed hidden states [B, Tp + Tr, D]. A batch whose rows share prompts
     * ({@link SequenceBatch#ofSharedPrompts}) runs each distinct prompt once; the result equals the unshared forward
     * to float rounding.
     */
    public NDArray forward(SequenceBatch batch) {
        return rmsNorm(residual(batch, layers.length), rmsFinal);
    }

    /**
     * Final-normed hidden states at one column per row, [B, D] — what a reward head reads. The same as
     * {@code forward(batch)} at those columns, but the last block runs its attention (queries, scores, output) and
     * feed-forward at that column only; every column's keys and values are still computed. index [B] (int64).
     */
    public NDArray forwardAt(SequenceBatch batch, NDArray index) {
        int l = layers.length - 1;
        NDArray x = residual(batch, l);                                           // [B, T, D] before the last block
        long b = x.getShape().get(0), t = x.getShape().get(1), d = config.dim();
        int nKv = config.nKvHeads(), g = config.groupSize(), hs = config.headSize();
        NDArray[] cs = ropeAt(batch.positions());
        Qkv h = qkv(rmsNorm(x, layers[l].rmsAtt), l, cs[0], cs[1]);
        NDArray at = index.reshape(b, 1, 1, 1, 1);
        NDArray q = h.q().reshape(b, nKv, t, g, hs)                               // [B, nKV, 1, g, hs] at the column
                .gather(at.broadcast(new Shape(b, nKv, 1, g, hs)), 2).reshape(b, nKv, g, hs);
        NDArray bias = batch.bias()                                               // [B, 1, 1, 1, T]: the column's row
                .gather(at.broadcast(new Shape(b, 1, 1, 1, t)), 3);
        NDArray y = x.gather(index.reshape(b, 1, 1).broadcast(new Shape(b, 1, d)), 1);      // [B, 1, D]
        y = y.add(output(attend(q, h.k(), h.v(), bias.reshape(b, 1, 1, 1, t), b, nKv, g, 1, t), l, b, 1));
        y = y.add(swiglu(rmsNorm(y, layers[l].rmsFfn), layers[l]));
        return rmsNorm(y, rmsFinal).reshape(b, d);
    }

    /**
     * The residual stream [B, Tp + Tr, D] after the first {@code n} blocks. A batch whose rows share prompts runs each
     * distinct prompt once and returns the rows as the unshared batch would have them.
     */
    private NDArray residual(SequenceBatch batch, int n) {
        SequenceBatch.SharedPrompts s = batch.shared();
        if (s == null) return blocks(batch.tokens(), batch.positions(), batch.bias(), null, 0, n);
        // P distinct prompts [P, Tp] attend causally among themselves; R response rows [R, Tr] attend to their
        // prompt's keys and values (rows gathered by promptOf) and causally among themselves.
        long p = s.promptTokens().getShape().get(0), tp = s.promptTokens().getShape().get(1);
        long r = s.responseTokens().getShape().get(0), tr = s.responseTokens().getShape().get(1);
        NDArray xp = Embedding.embedding(s.promptTokens(), tokEmbedding, SparseFormat.DENSE).singletonOrThrow();
        NDArray xr = Embedding.embedding(s.responseTokens(), tokEmbedding, SparseFormat.DENSE).singletonOrThrow();
        NDArray[] cp = ropeAt(s.promptPositions()), cr = ropeAt(s.responsePositions());
        NDIndex rows = new NDIndex("{}", s.promptOf());                             // [R] → prompt row
        for (int l = 0; l < n; l++) {
            Qkv hp = qkv(rmsNorm(xp, layers[l].rmsAtt), l, cp[0], cp[1]);
            Qkv hr = qkv(rmsNorm(xr, layers[l].rmsAtt), l, cr[0], cr[1]);
            NDArray k = hp.k().get(rows).concat(hr.k(), 2);                         // [R, nKV, Tp + Tr, hs]
            NDArray v = hp.v().get(rows).concat(hr.v(), 2);
            xp = xp.add(output(attendAll(hp.q(), hp.k(), hp.v(), s.promptBias(), p, tp, true), l, p, tp));
            xr = xr.add(output(attendAll(hr.q(), k, v, s.responseBias(), r, tr, true), l, r, tr));
            xp = xp.add(swiglu(rmsNorm(xp, layers[l].rmsFfn), layers[l]));
            xr = xr.add(swiglu(rmsNorm(xr, layers[l].rmsFfn), layers[l]));
        }
        return xp.get(rows).concat(xr, 1);                                         // [R, Tp + Tr, D]
    }

    /** Language-model head: hidden [..., D] → logits [..., V]. */
    public NDArray logits(NDArray hidden) {
        return Linear.linear(hidden, wcls).singletonOrThrow();
    }

    /** Scalar (value or reward) head at every position: hidden [B, T, D] → [B, T]. */
    public NDArray scalar(NDArray hidden) {
        if (headWeight == null) throw new IllegalStateException("this model has no scalar head");
        return Linear.linear(hidden, headWeight, headBias).singletonOrThrow().squeeze(-1);
    }

    /**
     * Scalar head read at each row's last non-pad token. hidden [B, T, D]; lastIndex [B] int64 → [B].
     */
    public NDArray scalarAtLast(NDArray hidden, NDArray lastIndex) {
        NDArray perPosition = scalar(hidden);                                     // [B, T]
        return perPosition.gather(lastIndex.reshape(-1, 1), 1).squeeze(1);        // [B]
    }

    // ---------------------------------------------------------------------------------------------------------
    // Copies, freezing, heads

    /** A deep copy of every parameter into a new model (policy → reference, policy → reward-model init). */
    public Llama copy() {
        return copy(hasScalarHead());
    }

    /**
     * A deep copy; {@code withScalarHead} adds a zero-initialised scalar head if this model has none, or drops it.
     */
    public Llama copy(boolean withScalarHead) {
        NDManager m = NDManager.newBaseManager(manager.getDevice());
        Map<String, NDArray> copies = new LinkedHashMap<>();
        for (var e : params.entrySet()) {
            if (!withScalarHead && (e.getKey().equals(HEAD_WEIGHT) || e.getKey().equals(HEAD_BIAS))) continue;
            NDArray dup = e.getValue().duplicate();
            dup.attach(m);
            copies.put(e.getKey(), dup);
        }
        if (withScalarHead && !hasScalarHead()) {
            copies.put(HEAD_WEIGHT, m.zeros(new Shape(1, config.dim())));
            copies.put(HEAD_BIAS, m.zeros(new Shape(1)));
        }
        return new Llama(config, m, copies);
    }

    /** Marks every parameter as trainable (true) or frozen (false). */
    public void setTrainable(boolean trainable) {
        for (NDArray p : params.values()) p.setRequiresGradient(trainable);
    }

    /** Copies another model's parameter values into this one, in place (same config and heads). */
    public void loadFrom(Llama other) {
        if (!other.config.equals(config) || !other.params.keySet().equals(params.keySet())) {
            throw new IllegalArgumentException("models differ in architecture or heads");
        }
        for (var e : params.entrySet()) e.getValue().set(other.params.get(e.getKey()).toByteBuffer());
    }

    /** Random initialisation as in nanoGPT/llama2.c's train.py: N(0, 0.02), residual projections scaled. */
    public static Llama random(LlamaConfig c, long seed, boolean withScalarHead) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        NDManager m = NDManager.newBaseManager();
        Map<String, NDArray> p = new LinkedHashMap<>();
        double residualStd = 0.02 / Math.sqrt(2.0 * c.nLayers());
        for (var e : parameterShapes(c, withScalarHead).entrySet()) {
            String name = e.getKey();
            float[] values = new float[Math.toIntExact(e.getValue().size())];
            if (name.endsWith("norm.weight")) {
                java.util.Arrays.fill(values, 1f);
            } else if (!name.equals(HEAD_BIAS)) {
                double std = name.endsWith("wo.weight") || name.endsWith("w2.weight") ? residualStd : 0.02;
                for (int i = 0; i < values.length; i++) values[i] = (float) (gaussian(rnd) * std);
            }
            p.put(name, m.create(values, e.getValue()));
        }
        return new Llama(c, m, p);
    }

    static double gaussian(java.util.SplittableRandom rnd) {
        double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Override
    public void close() {
        manager.close();
    }
}
