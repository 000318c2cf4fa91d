package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Batched sampling in plain Java, llama2.c's {@code run.c} made batched: every row keeps its own position and KV
 * cache, forced through its prompt one token at a time, then sampled. Matmuls use the Vector API (SIMD FMAs
 * over output columns, four rows at a time), so a small model runs without libtorch's per-op overhead.
 *
 * <p>The weights are a snapshot taken at construction: build a new sampler after the model is updated. Rows are
 * independent, so the batch is split over {@link TensorEngine#threads()} threads, each running its rows to the
 * end; every row draws from its own random stream ({@link SamplingConfig#rowRandom}), so results do not depend on
 * the threading.
 *
 * <p>Needs the {@code jdk.incubator.vector} module ({@code --add-modules jdk.incubator.vector});
 * {@link #suits} says whether it is there.
 */
public final class JavaSampler implements Sampler {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();

    private final LlamaConfig c;
    private final int[] stopTokens;
    private final int padToken;
    private final float[] tokEmbedding;   // [V][D]
    private final LayerWeights[] layers;
    private final float[] rmsFinal;       // [D]
    private final Linear classifier;      // D → V
    private final float[] ropeCos, ropeSin; // [seqLen][hs/2]
    // RoPE as whole vectors when a head fits a SIMD vector a whole number of times: per position, LANES lanes of
    // cos(pair) and (−sin, +sin)(pair), the head's pattern repeated; null otherwise (scalar RoPE)
    private final float[] ropeCosV, ropeSinV;
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(S, i -> i ^ 1);
    private final float[] headWeight;     // [D] scalar (value/reward) head, or null
    private final float headBias;

    /** One block's weights, transposed to [in][out] for the SIMD matmul. */
    private record LayerWeights(float[] rmsAtt, Linear wqkv, Linear wo, float[] rmsFfn, Linear w13, Linear w2) {}

    /**
     * A linear map y = x·Wᵀ stored transposed as [in][stride], the output width padded with zero columns to a
     * multiple of the SIMD width.
     */
    private record Linear(float[] wt, int in, int out, int stride) {
        static Linear of(float[] w, int out, int in) { // w is [out][in], as stored in the model
            int stride = (out + LANES - 1) / LANES * LANES;
            float[] wt = new float[in * stride];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) wt[i * stride + o] = w[o * in + i];
            }
            return new Linear(wt, in, out, stride);
        }
    }

    /** Whether this sampler is the better choice for a model: the SIMD module is present and the model is small. */
    public static boolean suits(LlamaConfig config) {
        return vectorModulePresent() && config.dim() <= 1024;
    }

    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    public JavaSampler(Llama model, int[] stopTokens, int padToken) {
        this.c = model.config();
        this.stopTokens = stopTokens.clone();
        this.padToken = padToken;
        var p = model.parameters();
        int d = c.dim(), h = c.hiddenDim(), kv = c.kvDim();
        this.tokEmbedding = p.get("tok_embeddings.weight").toFloatArray();
        this.layers = new LayerWeights[c.nLayers()];
        for (int l = 0; l < layers.length; l++) {
            String pre = "layers." + l + ".";
            layers[l] = new LayerWeights(
                    p.get(pre + "attention_norm.weight").toFloatArray(),
                    Linear.of(p.get(pre + "attention.wqkv.weight").toFloatArray(), d + 2 * kv, d),
                    Linear.of(p.get(pre + "attention.wo.weight").toFloatArray(), d, d),
                    p.get(pre + "ffn_norm.weight").toFloatArray(),
                    Linear.of(p.get(pre + "feed_forward.w13.weight").toFloatArray(), 2 * h, d),
                    Linear.of(p.get(pre + "feed_forward.w2.weight").toFloatArray(), d, h));
        }
        this.rmsFinal = p.get("norm.weight").toFloatArray();
        NDArray cls = c.sharedClassifier() ? p.get("tok_embeddings.weight") : p.get("output.weight");
        this.classifier = Linear.of(cls.toFloatArray(), c.vocabSize(), d);
        float[][] rope = Rope.tables(c);
        this.ropeCos = rope[0];
        this.ropeSin = rope[1];
        int hs = c.headSize(), half = hs / 2;
        if (LANES % hs == 0) {
            ropeCosV = new float[c.seqLen() * LANES];
            ropeSinV = new float[c.seqLen() * LANES];
            for (int pos = 0; pos < c.seqLen(); pos++) {
                for (int lane = 0; lane < LANES; lane++) {
                    int pair = (lane % hs) / 2;
                    float sin = ropeSin[pos * half + pair];
                    ropeCosV[pos * LANES + lane] = ropeCos[pos * half + pair];
                    ropeSinV[pos * LANES + lane] = lane % 2 == 0 ? -sin : sin;
                }
            }
        } else {
            ropeCosV = ropeSinV = null;
        }
        NDArray hw = p.get(Llama.HEAD_WEIGHT), hb = p.get(Llama.HEAD_BIAS);
        this.headWeight = hw == null ? null : hw.toFloatArray();
        this.headBias = hb == null ? 0f : hb.toFloatArray()[0];
    }

    /**
     * Teacher-forced scores of given responses.
     *
     * @param logProbs per response token, log p(token | prompt, earlier response tokens) at the temperature
     * @param values   per response token, the scalar head at the position that predicts it (the state before the
     *                 token is chosen, as {@code TokenScores} reads it), or null when not asked for
     */
    public record Scores(float[][] logProbs, float[][] values) {}

    /**
     * Scores responses without sampling: the same batched forward as {@link #generate}, with each row's next token
     * taken from {@code responses} instead of drawn. Equals {@link Scoring} (libtorch) to float rounding and costs
     * what sampling costs, which on small models is several times less than a libtorch forward.
     *
     * @param temperature logits are divided by it (> 0)
     * @param withValues  also read the scalar head (the model must have one)
     */
    public Scores score(int[][] prompts, int[][] responses, float temperature, boolean withValues) {
        if (prompts.length != responses.length) {
            throw new IllegalArgumentException(prompts.length + " prompts but " + responses.length + " responses");
        }
        if (!(temperature > 0) || !Float.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        if (withValues && headWeight == null) throw new IllegalStateException("this model has no scalar head");
        int longest = 1;
        for (int b = 0; b < prompts.length; b++) {
            if (prompts[b].length == 0) throw new IllegalArgumentException("prompt " + b + " is empty");
            for (int t : responses[b]) {
                if (t < 0 || t >= c.vocabSize()) {
                    throw new IllegalArgumentException("response " + b + " has token " + t + " outside the vocabulary");
                }
            }
            if (prompts[b].length + responses[b].length - 1 > c.seqLen()) {
                throw new IllegalArgumentException("row " + b + ": " + prompts[b].length + " prompt + "
                        + responses[b].length + " response tokens exceed the model's " + c.seqLen() + " positions");
            }
            longest = Math.max(longest, responses[b].length);
        }
        SamplingConfig cfg = new SamplingConfig(temperature, 0, 1f, longest, 0L, false);
        float[][] logProbs = new float[prompts.length][];
        float[][] values = withValues ? new float[prompts.length][] : null;
        run(prompts, responses, cfg, new int[prompts.length][], logProbs, values, new boolean[prompts.length]);
        return new Scores(logProbs, values);
    }

    @Override
    public Generation generate(int[][] prompts, SamplingConfig cfg) {
        return sample(prompts, cfg, false).generation();
    }

    /**
     * A generation and the scalar head's value at each new token (read where {@link #score} reads it, at the position
     * that predicts the token), from the same forward: PPO with a value head on the policy's trunk needs no second pass
     * over its own rollout.
     */
    public record Sampled(Generation generation, float[][] values) {}

    /** {@link #generate} that also reads the scalar head (the model must have one). */
    public Sampled generateWithValues(int[][] prompts, SamplingConfig cfg) {
        if (headWeight == null) throw new IllegalStateException("this model has no scalar head");
        return sample(prompts, cfg, true);
    }

    private Sampled sample(int[][] prompts, SamplingConfig cfg, boolean withValues) {
        int batch = prompts.length;
        if (batch == 0) throw new IllegalArgumentException("no prompts");
        int longest = 0;
        for (int b = 0; b < batch; b++) {
            if (prompts[b].length == 0) throw new IllegalArgumentException("prompt " + b + " is empty");
            longest = Math.max(longest, prompts[b].length);
        }
        if (longest + cfg.maxNewTokens() - 1 > c.seqLen()) {
            throw new IllegalArgumentException("prompt (" + longest + " tokens) plus " + cfg.maxNewTokens()
                    + " new tokens exceeds the model's " + c.seqLen() + " positions");
        }
        int[][] tokens = new int[batch][];
        float[][] logProbs = new float[batch][];
        boolean[] finished = new boolean[batch];
        float[][] values = withValues ? new float[batch][] : null;
        run(prompts, null, cfg, tokens, logProbs, values, finished);
        return new Sampled(new Generation(tokens, logProbs, finished), values);
    }

    /** Runs the rows, split between threads; {@code forced} (or null to sample) gives each row's tokens. */
    private void run(int[][] prompts, int[][] forced, SamplingConfig cfg, int[][] tokens, float[][] logProbs,
            float[][] values, boolean[] finished) {
        int batch = prompts.length;
        int threads = Math.min(TensorEngine.threads(), Math.max(1, batch / 4));
        if (threads <= 1) {
            new Rows(prompts, forced, 0, batch, cfg, tokens, logProbs, values, finished).run();
        } else {
            List<Thread> workers = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                int from = (int) ((long) batch * t / threads), to = (int) ((long) batch * (t + 1) / threads);
                Rows rows = new Rows(prompts, forced, from, to, cfg, tokens, logProbs, values, finished);
                Thread w = new Thread(rows, "tandem-sampler-" + t);
                w.setUncaughtExceptionHandler((th, e) -> errors.add(e));
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while sampling", e);
                }
            }
            if (!errors.isEmpty()) throw new IllegalStateException("sampler thread failed", errors.get(0));
        }
    }

    /**
     * KV caches ([layer][rows · kvHeads · hs · positions]) kept between calls: allocating them afresh each call cost
     * page faults, up to 15 % of the sampler's time in a profile. A caller takes one set per thread, zeroed, and gives
     * it back; sets above {@link #POOLED_MAX_FLOATS} per layer are not kept.
     */
    private final ConcurrentLinkedDeque<float[][]> cachePool = new ConcurrentLinkedDeque<>();
    private static final int POOLED_MAX_FLOATS = 4 << 20, POOL_SIZE = 8;

    private float[][] takeCache(int size) {
        float[][] cache = cachePool.pollFirst();
        if (cache == null || cache[0].length < size) return new float[c.nLayers()][size];
        for (float[] layer : cache) Arrays.fill(layer, 0, size, 0f);
        return cache;
    }

    private void giveBack(float[][] cache) {
        if (cache[0].length <= POOLED_MAX_FLOATS && cachePool.size() < POOL_SIZE) cachePool.offerFirst(cache);
    }

    /** Runs rows [from, to) of a batch from their prompts to the end, with their own buffers and caches. */
    private final class Rows implements Runnable {
        final int[][] prompts;
        final int[][] forced;       // teacher forcing: each row's tokens after its prompt; null to sample
        final int from, n;
        final SamplingConfig cfg;
        final int[][] outTokens;
        final float[][] outLogProbs;
        final float[][] outValues;  // scalar head per new token, or null
        final boolean[] outFinished;
        final float[] lanes = new float[LANES]; // scratch for folding SIMD lanes
        final float[] tail = new float[2 * LANES]; // scratch for SwiGLU's last h % LANES elements

        Rows(int[][] prompts, int[][] forced, int from, int to, SamplingConfig cfg, int[][] outTokens,
                float[][] outLogProbs, float[][] outValues, boolean[] outFinished) {
            this.prompts = prompts;
            this.forced = forced;
            this.outValues = outValues;
            this.from = from;
            this.n = to - from;
            this.cfg = cfg;
            this.outTokens = outTokens;
            this.outLogProbs = outLogProbs;
            this.outFinished = outFinished;
        }

        @Override
        public void run() {
            int d = c.dim(), kvDim = c.kvDim(), hs = c.headSize(), v = c.vocabSize();
            int[] limit = new int[n]; // new tokens per row: all of maxNewTokens when sampling, the response when forced
            int positions = 1;
            for (int r = 0; r < n; r++) {
                limit[r] = forced == null ? cfg.maxNewTokens() : forced[from + r].length;
                positions = Math.max(positions, prompts[from + r].length + limit[r] - 1);
            }
            positions = roundUp(positions);
            // Activations, one row of width `stride` per batch row.
            float[] x = new float[n * d], xb = new float[n * d], att = new float[n * d];
            float[] qkv = new float[n * layers[0].wqkv.stride()];
            float[] ffn = new float[n * layers[0].w13.stride()];
            float[] gate = new float[n * c.hiddenDim()];
            float[] proj = new float[n * Math.max(layers[0].wo.stride(), layers[0].w2.stride())];
            float[] logits = new float[n * classifier.stride()];
            float[] scores = new float[2 * (positions + LANES)]; // two heads' rows (attend)
            float[] probs = new float[v];
            // KV cache per layer and row: keys transposed [kvHead][hs][pos] so scores over positions are SIMD
            // FMAs; values [kvHead][pos][hs] so the weighted sum runs along positions without reductions.
            int rowCache = c.nKvHeads() * hs * positions;
            float[][] keys = takeCache(n * rowCache), values = takeCache(n * rowCache);
            try {
                run(limit, positions, x, xb, att, qkv, ffn, gate, proj, logits, scores, probs, keys, values);
            } finally {
                giveBack(keys);
                giveBack(values);
            }
        }

        private void run(int[] limit, int positions, float[] x, float[] xb, float[] att, float[] qkv, float[] ffn,
                float[] gate, float[] proj, float[] logits, float[] scores, float[] probs, float[][] keys,
                float[][] values) {
            int[] pos = new int[n], token = new int[n], generated = new int[n];
            int[][] tok = new int[n][];
            float[][] lp = new float[n][];
            float[][] val = new float[n][];
            boolean[] done = new boolean[n];
            SplittableRandom[] rnd = new SplittableRandom[n];
            int active = n;
            for (int r = 0; r < n; r++) {
                token[r] = prompts[from + r][0];
                rnd[r] = cfg.rowRandom(from + r);
                tok[r] = new int[limit[r]];
                lp[r] = new float[limit[r]];
                val[r] = new float[outValues == null ? 0 : limit[r]];
                if (limit[r] == 0) { // an empty forced response: nothing to score
                    done[r] = true;
                    active--;
                }
            }
            float invTemp = 1f / cfg.logProbTemperature();
            while (active > 0) {
                forward(token, pos, done, x, xb, att, qkv, ffn, gate, proj, logits, scores, keys, values, positions);
                for (int r = 0; r < n; r++) {
                    if (done[r]) continue;
                    int[] prompt = prompts[from + r];
                    pos[r]++;
                    if (pos[r] < prompt.length) { // still forcing the prompt
                        token[r] = prompt[pos[r]];
                        continue;
                    }
                    int off = r * classifier.stride();
                    int next = next(logits, off, probs, rnd[r], invTemp, lp[r], generated[r],
                            forced == null ? -1 : forced[from + r][generated[r]]);
                    if (outValues != null) val[r][generated[r]] = head(xb, r * c.dim());
                    tok[r][generated[r]] = next;
                    generated[r]++;
                    token[r] = next;
                    boolean stop = forced == null && cfg.stopAtEos() && isStop(next);
                    if (stop || generated[r] == limit[r]) {
                        done[r] = true;
                        outFinished[from + r] = stop;
                        active--;
                    }
                }
            }
            for (int r = 0; r < n; r++) {
                outTokens[from + r] = Arrays.copyOf(tok[r], generated[r]);
                outLogProbs[from + r] = Arrays.copyOf(lp[r], generated[r]);
                if (outValues != null) outValues[from + r] = Arrays.copyOf(val[r], generated[r]);
            }
        }

        /** The scalar head on one row of final (normed) hidden states. */
        private float head(float[] hidden, int off) {
            double s = headBias;
            for (int i = 0; i < headWeight.length; i++) s += (double) hidden[off + i] * headWeight[i];
            return (float) s;
        }

        /**
         * The next token of one row — {@code forcedToken} when teacher-forcing (>= 0), else drawn from the row's logits
         * at {@code off} — and its log-prob, written to {@code lp[i]}. Kept out of {@link #run}'s loop, like
         * {@link #attend}, so the JIT compiles it from its own profile (with long warm-ups the sampler lost up to 40 %
         * while on-stack replacement recompiled that loop; not shown to be cured by this split alone).
         */
        private int next(float[] logits, int off, float[] probs, SplittableRandom rnd, float invTemp, float[] lp, int i,
                int forcedToken) {
            int v = c.vocabSize();
            float max = max(logits, off, v);
            double sum = expScaled(probs, 0, logits, off, v, max, invTemp, lanes); // probs = exp((l - max)/T)
            int next = forcedToken >= 0 ? forcedToken
                    : cfg.temperature() == 0 ? argmax(logits, off, v) : Sampling.draw(probs, sum, cfg, rnd);
            lp[i] = (float) ((logits[off + next] - max) * invTemp - StrictMath.log(sum));
            return next;
        }

        /**
         * Attention for row r at position p of one layer: RoPE on its q and k, k and v into the cache, then every query
         * head over positions 0..p of its key/value head, written to att[r].
         */
        private void attend(int r, int p, float[] qkv, int qs, float[] att, float[] scores, float[] keys,
                float[] values, int positions) {
            int d = c.dim(), hs = c.headSize(), kvDim = c.kvDim(), half = hs / 2;
            int nH = c.nHeads(), g = c.groupSize();
            float scale = (float) (1.0 / Math.sqrt(hs));
            int base = r * qs;
            // RoPE on q and k, interleaved pairs (the k part is the kvDim columns after q): (a, b) → (a·cos − b·sin,
            // a·sin + b·cos), as x·cos + swap(x)·(−sin, +sin) on whole vectors where the tables exist — the same
            // products and sums as the scalar loop, so the same bits
            int qkEnd = base + d + kvDim, i0 = base;
            if (ropeCosV != null) {
                FloatVector cos = FloatVector.fromArray(S, ropeCosV, p * LANES);
                FloatVector sin = FloatVector.fromArray(S, ropeSinV, p * LANES);
                for (; i0 + LANES <= qkEnd; i0 += LANES) {
                    FloatVector x = FloatVector.fromArray(S, qkv, i0);
                    x.mul(cos).add(x.rearrange(SWAP_PAIRS).mul(sin)).intoArray(qkv, i0);
                }
            }
            for (int head = (i0 - base) / hs; head < nH + c.nKvHeads(); head++) {
                for (int pair = 0, i = base + head * hs; pair < half; pair++, i += 2) {
                    float fc = ropeCos[p * half + pair], fs = ropeSin[p * half + pair];
                    float v0 = qkv[i], v1 = qkv[i + 1];
                    qkv[i] = v0 * fc - v1 * fs;
                    qkv[i + 1] = v0 * fs + v1 * fc;
                }
            }
            // write k, v at position p
            int cacheRow = r * c.nKvHeads() * hs * positions;
            for (int kvh = 0; kvh < c.nKvHeads(); kvh++) {
                int headRow = cacheRow + kvh * hs * positions;
                for (int e = 0; e < hs; e++) {
                    keys[headRow + e * positions + p] = qkv[base + d + kvh * hs + e];
                }
                System.arraycopy(qkv, base + d + kvDim + kvh * hs, values, headRow + p * hs, hs);
            }
            // each query head attends over positions 0..p of its key/value head; the length is rounded up
            // to whole SIMD vectors and the extra scores are masked, so no scalar tails
            int len = p + 1, padded = roundUp(len);
            if (g == 2 && hs < LANES && LANES % hs == 0) { // the two query heads of a group share each key/value load
                int sb = scores.length / 2;                   // head b's scores start here
                for (int kvh = 0; kvh < c.nKvHeads(); kvh++) {
                    int kBase = cacheRow + kvh * hs * positions, ha = 2 * kvh;
                    attentionScores2(scores, sb, qkv, base + ha * hs, base + (ha + 1) * hs, scale, keys, kBase,
                            positions, hs, padded);
                    Arrays.fill(scores, len, padded, Float.NEGATIVE_INFINITY);
                    Arrays.fill(scores, sb + len, sb + padded, Float.NEGATIVE_INFINITY);
                    float sumA = (float) expScaled(scores, 0, scores, 0, padded, max(scores, 0, padded), 1f, lanes);
                    float sumB = (float) expScaled(scores, sb, scores, sb, padded, max(scores, sb, padded), 1f, lanes);
                    int oa = r * d + ha * hs, ob = oa + hs;
                    weightedSum2(att, oa, ob, scores, sb, values, kBase, hs, padded, lanes);
                    float invA = 1f / sumA, invB = 1f / sumB;
                    for (int e = 0; e < hs; e++) {
                        att[oa + e] *= invA;
                        att[ob + e] *= invB;
                    }
                }
                return;
            }
            for (int head = 0; head < nH; head++) {
                int kBase = cacheRow + (head / g) * hs * positions;
                attentionScores(scores, qkv, base + head * hs, scale, keys, kBase, positions, hs, padded);
                Arrays.fill(scores, len, padded, Float.NEGATIVE_INFINITY);
                float sum = (float) expScaled(scores, 0, scores, 0, padded, max(scores, 0, padded), 1f, lanes);
                int o = r * d + head * hs;
                weightedSum(att, o, scores, values, kBase, hs, padded, lanes);
                for (int e = 0; e < hs; e++) att[o + e] /= sum; // softmax's normalisation, applied once
            }
        }

        /** One position for every unfinished row: logits [n][V] for the next token. */
        private void forward(int[] token, int[] pos, boolean[] done, float[] x, float[] xb, float[] att,
                float[] qkv, float[] ffn, float[] gate, float[] proj, float[] logits, float[] scores,
                float[][] keys, float[][] values, int positions) {
            int d = c.dim(), h = c.hiddenDim();
            for (int r = 0; r < n; r++) System.arraycopy(tokEmbedding, token[r] * d, x, r * d, d);
            for (int l = 0; l < layers.length; l++) {
                LayerWeights w = layers[l];
                // attention
                rmsNorm(xb, x, w.rmsAtt(), n, d, lanes);
                matmul(qkv, xb, n, w.wqkv());
                int qs = w.wqkv().stride();
                for (int r = 0; r < n; r++) {
                    if (!done[r]) attend(r, pos[r], qkv, qs, att, scores, keys[l], values[l], positions);
                }
                matmul(proj, att, n, w.wo());
                addRows(x, proj, w.wo().stride(), n, d);
                // feed-forward
                rmsNorm(xb, x, w.rmsFfn(), n, d, lanes);
                matmul(ffn, xb, n, w.w13());
                int fs = w.w13().stride();
                for (int r = 0; r < n; r++) swiglu(gate, r * h, ffn, r * fs, h, tail);
                matmul(proj, gate, n, w.w2());
                addRows(x, proj, w.w2().stride(), n, d);
            }
            rmsNorm(xb, x, rmsFinal, n, d, lanes);
            matmul(logits, xb, n, classifier);
        }
    }

    private boolean isStop(int token) {
        for (int s : stopTokens) if (s == token) return true;
        return false;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Kernels

    /**
     * out[r][0..stride) = x[r][0..in) · Wᵀ for n rows. The register block is 4 rows × 4 vectors of columns (then
     * 4 × 2 and 4 × 1 for the rest): each weight load feeds four FMAs, each broadcast four, and 16 independent
     * accumulators keep both FMA units busy.
     */
    static void matmul(float[] out, float[] x, int n, Linear w) {
        int in = w.in(), stride = w.stride();
        float[] wt = w.wt();
        int r = 0;
        for (; r + 4 <= n; r += 4) {
            int x0 = r * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
            int o0 = r * stride, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
            int j = 0;
            for (; j + 4 * LANES <= stride; j += 4 * LANES) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
                for (int k = 0, wk = j; k < in; k++, wk += stride) {
                    FloatVector wa = FloatVector.fromArray(S, wt, wk), wb = FloatVector.fromArray(S, wt, wk + LANES);
                    FloatVector wc = FloatVector.fromArray(S, wt, wk + 2 * LANES);
                    FloatVector wd = FloatVector.fromArray(S, wt, wk + 3 * LANES);
                    FloatVector v0 = FloatVector.broadcast(S, x[x0 + k]), v1 = FloatVector.broadcast(S, x[x1 + k]);
                    FloatVector v2 = FloatVector.broadcast(S, x[x2 + k]), v3 = FloatVector.broadcast(S, x[x3 + k]);
                    a0 = wa.fma(v0, a0); b0 = wb.fma(v0, b0); c0 = wc.fma(v0, c0); d0 = wd.fma(v0, d0);
                    a1 = wa.fma(v1, a1); b1 = wb.fma(v1, b1); c1 = wc.fma(v1, c1); d1 = wd.fma(v1, d1);
                    a2 = wa.fma(v2, a2); b2 = wb.fma(v2, b2); c2 = wc.fma(v2, c2); d2 = wd.fma(v2, d2);
                    a3 = wa.fma(v3, a3); b3 = wb.fma(v3, b3); c3 = wc.fma(v3, c3); d3 = wd.fma(v3, d3);
                }
                a0.intoArray(out, o0 + j); b0.intoArray(out, o0 + j + LANES);
                c0.intoArray(out, o0 + j + 2 * LANES); d0.intoArray(out, o0 + j + 3 * LANES);
                a1.intoArray(out, o1 + j); b1.intoArray(out, o1 + j + LANES);
                c1.intoArray(out, o1 + j + 2 * LANES); d1.intoArray(out, o1 + j + 3 * LANES);
                a2.intoArray(out, o2 + j); b2.intoArray(out, o2 + j + LANES);
                c2.intoArray(out, o2 + j + 2 * LANES); d2.intoArray(out, o2 + j + 3 * LANES);
                a3.intoArray(out, o3 + j); b3.intoArray(out, o3 + j + LANES);
                c3.intoArray(out, o3 + j + 2 * LANES); d3.intoArray(out, o3 + j + 3 * LANES);
            }
            for (; j + 2 * LANES <= stride; j += 2 * LANES) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                for (int k = 0, wk = j; k < in; k++, wk += stride) {
                    FloatVector wa = FloatVector.fromArray(S, wt, wk), wb = FloatVector.fromArray(S, wt, wk + LANES);
                    FloatVector v0 = FloatVector.broadcast(S, x[x0 + k]), v1 = FloatVector.broadcast(S, x[x1 + k]);
                    FloatVector v2 = FloatVector.broadcast(S, x[x2 + k]), v3 = FloatVector.broadcast(S, x[x3 + k]);
                    a0 = wa.fma(v0, a0); b0 = wb.fma(v0, b0);
                    a1 = wa.fma(v1, a1); b1 = wb.fma(v1, b1);
                    a2 = wa.fma(v2, a2); b2 = wb.fma(v2, b2);
                    a3 = wa.fma(v3, a3); b3 = wb.fma(v3, b3);
                }
                a0.intoArray(out, o0 + j); b0.intoArray(out, o0 + j + LANES);
                a1.intoArray(out, o1 + j); b1.intoArray(out, o1 + j + LANES);
                a2.intoArray(out, o2 + j); b2.intoArray(out, o2 + j + LANES);
                a3.intoArray(out, o3 + j); b3.intoArray(out, o3 + j + LANES);
            }
            for (; j < stride; j += LANES) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int k = 0, wk = j; k < in; k++, wk += stride) {
                    FloatVector wv = FloatVector.fromArray(S, wt, wk);
                    a0 = wv.fma(FloatVector.broadcast(S, x[x0 + k]), a0);
                    a1 = wv.fma(FloatVector.broadcast(S, x[x1 + k]), a1);
                    a2 = wv.fma(FloatVector.broadcast(S, x[x2 + k]), a2);
                    a3 = wv.fma(FloatVector.broadcast(S, x[x3 + k]), a3);
                }
                a0.intoArray(out, o0 + j);
                a1.intoArray(out, o1 + j);
                a2.intoArray(out, o2 + j);
                a3.intoArray(out, o3 + j);
            }
        }
        for (; r < n; r++) {
            int xr = r * in;
            for (int j = 0; j < stride; j += LANES) {
                FloatVector acc = FloatVector.zero(S);
                for (int k = 0, wk = j; k < in; k++, wk += stride) {
                    acc = FloatVector.fromArray(S, wt, wk).fma(FloatVector.broadcast(S, x[xr + k]), acc);
                }
                acc.intoArray(out, r * stride + j);
            }
        }
    }

    static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /**
     * scores[t] = scale · Σ_e q[qo + e] · keys[k0 + e·stride + t] for t in [0, len), len a multiple of the SIMD
     * width: one register accumulates a chunk of positions over the head dimension.
     */
    static void attentionScores(float[] scores, float[] q, int qo, float scale, float[] keys, int k0, int stride,
            int hs, int len) {
        for (int t = 0; t < len; t += LANES) {
            FloatVector acc = FloatVector.zero(S);
            for (int e = 0; e < hs; e++) {
                acc = FloatVector.fromArray(S, keys, k0 + e * stride + t).fma(FloatVector.broadcast(S, q[qo + e]), acc);
            }
            acc.mul(scale).intoArray(scores, t);
        }
    }

    /**
     * {@link #attentionScores} for two query heads over the same keys (a GQA group of two): each key vector load
     * feeds both heads' FMAs. Head a's scores go to scores[0, len), head b's to scores[sb, sb + len); each head's
     * bits equal those of {@link #attentionScores}.
     */
    static void attentionScores2(float[] scores, int sb, float[] q, int qa, int qb, float scale, float[] keys, int k0,
            int stride, int hs, int len) {
        for (int t = 0; t < len; t += LANES) {
            FloatVector a = FloatVector.zero(S), b = a;
            for (int e = 0; e < hs; e++) {
                FloatVector k = FloatVector.fromArray(S, keys, k0 + e * stride + t);
                a = k.fma(FloatVector.broadcast(S, q[qa + e]), a);
                b = k.fma(FloatVector.broadcast(S, q[qb + e]), b);
            }
            a.mul(scale).intoArray(scores, t);
            b.mul(scale).intoArray(scores, sb + t);
        }
    }

    /** Lane i of a vector loaded at scores[t] goes to lane i / hs: each score spread over its value row. */
    private static final VectorShuffle<Float>[] SPREAD = spreadShuffles();

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static VectorShuffle<Float>[] spreadShuffles() {
        VectorShuffle<Float>[] s = new VectorShuffle[LANES + 1];
        for (int hs = 1; hs <= LANES; hs++) {
            if (LANES % hs != 0) continue;
            int[] idx = new int[LANES];
            for (int i = 0; i < LANES; i++) idx[i] = i / hs;
            s[hs] = VectorShuffle.fromArray(S, idx, 0);
        }
        return s;
    }

    /**
     * out[o + e] = Σ_t scores[t] · values[v0 + t·hs + e] for e in [0, hs): attention's weighted sum of value rows,
     * with no horizontal reductions in the loop. When a SIMD vector holds several value rows (hs < lanes), one
     * shuffle spreads their scores across the vector.
     */
    static void weightedSum(float[] out, int o, float[] scores, float[] values, int v0, int hs, int len, float[] tmp) {
        if (hs % LANES == 0) {
            for (int e = 0; e < hs; e += LANES) {
                FloatVector acc = FloatVector.zero(S);
                for (int t = 0; t < len; t++) {
                    acc = FloatVector.fromArray(S, values, v0 + t * hs + e).fma(FloatVector.broadcast(S, scores[t]), acc);
                }
                acc.intoArray(out, o + e);
            }
        } else if (LANES % hs == 0) {
            int perVector = LANES / hs; // len is a multiple of the lane count, so of perVector too
            VectorShuffle<Float> spread = SPREAD[hs];
            FloatVector even = FloatVector.zero(S), odd = even; // two chains hide the FMA latency
            int t = 0;
            for (; t + 2 * perVector <= len; t += 2 * perVector) {
                FloatVector s0 = FloatVector.fromArray(S, scores, t).rearrange(spread);
                FloatVector s1 = FloatVector.fromArray(S, scores, t + perVector).rearrange(spread);
                even = FloatVector.fromArray(S, values, v0 + t * hs).fma(s0, even);
                odd = FloatVector.fromArray(S, values, v0 + (t + perVector) * hs).fma(s1, odd);
            }
            for (; t < len; t += perVector) {
                even = FloatVector.fromArray(S, values, v0 + t * hs).fma(FloatVector.fromArray(S, scores, t).rearrange(spread), even);
            }
            fold(out, o, even.add(odd), hs, tmp);
        } else {
            for (int e = 0; e < hs; e++) {
                float sum = 0;
                for (int t = 0; t < len; t++) sum += scores[t] * values[v0 + t * hs + e];
                out[o + e] = sum;
            }
        }
    }

    /**
     * {@link #weightedSum} for two heads over the same value rows (hs &lt; lanes, lanes % hs == 0): each value vector
     * load feeds both heads. Head a's weights are scores[0, len), head b's scores[sb, sb + len); outputs at oa, ob.
     * Each head's bits equal those of {@link #weightedSum}.
     */
    static void weightedSum2(float[] out, int oa, int ob, float[] scores, int sb, float[] values, int v0, int hs,
            int len, float[] tmp) {
        int perVector = LANES / hs;
        VectorShuffle<Float> spread = SPREAD[hs];
        FloatVector aEven = FloatVector.zero(S), aOdd = aEven, bEven = aEven, bOdd = aEven;
        int t = 0;
        for (; t + 2 * perVector <= len; t += 2 * perVector) {
            FloatVector v0v = FloatVector.fromArray(S, values, v0 + t * hs);
            FloatVector v1v = FloatVector.fromArray(S, values, v0 + (t + perVector) * hs);
            aEven = v0v.fma(FloatVector.fromArray(S, scores, t).rearrange(spread), aEven);
            aOdd = v1v.fma(FloatVector.fromArray(S, scores, t + perVector).rearrange(spread), aOdd);
            bEven = v0v.fma(FloatVector.fromArray(S, scores, sb + t).rearrange(spread), bEven);
            bOdd = v1v.fma(FloatVector.fromArray(S, scores, sb + t + perVector).rearrange(spread), bOdd);
        }
        for (; t < len; t += perVector) {
            FloatVector vv = FloatVector.fromArray(S, values, v0 + t * hs);
            aEven = vv.fma(FloatVector.fromArray(S, scores, t).rearrange(spread), aEven);
            bEven = vv.fma(FloatVector.fromArray(S, scores, sb + t).rearrange(spread), bEven);
        }
        fold(out, oa, aEven.add(aOdd), hs, tmp);
        fold(out, ob, bEven.add(bOdd), hs, tmp);
    }

    /** out[o + e] = Σ lanes e, e + hs, e + 2hs, … of acc, in that order. */
    private static void fold(float[] out, int o, FloatVector acc, int hs, float[] tmp) {
        acc.intoArray(tmp, 0);
        for (int e = 0; e < hs; e++) {
            float sum = 0;
            for (int k = e; k < LANES; k += hs) sum += tmp[k];
            out[o + e] = sum;
        }
    }

    static float max(float[] v, int off, int len) {
        int i = 0;
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int bound = S.loopBound(len); i < bound; i += LANES) m = m.max(FloatVector.fromArray(S, v, off + i));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) max = Math.max(max, v[off + i]);
        return max;
    }

    /** out[oo + i] = exp((v[off + i] − max) · scale) for i in [0, len); returns the sum. SIMD exp. */
    static double expScaled(float[] out, int oo, float[] v, int off, int len, float max, float scale, float[] lanes) {
        int i = 0;
        FloatVector mv = FloatVector.broadcast(S, max), sv = FloatVector.broadcast(S, scale);
        FloatVector acc = FloatVector.zero(S);
        for (int bound = S.loopBound(len); i < bound; i += LANES) {
            FloatVector e = exp(FloatVector.fromArray(S, v, off + i).sub(mv).mul(sv));
            e.intoArray(out, oo + i);
            acc = acc.add(e);
        }
        acc.intoArray(lanes, 0);
        double sum = sumLanes(lanes);
        for (; i < len; i++) {
            out[oo + i] = (float) StrictMath.exp((v[off + i] - max) * scale);
            sum += out[oo + i];
        }
        return sum;
    }

    // exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2: Cody–Waite reduction and Cephes' expf
    // polynomial (≈ 1 ulp). Built from IEEE add and multiply only, so every JIT tier computes the same bits —
    // VectorOperators.EXP is an SVML intrinsic once compiled and a Math.exp loop before, and the two differ in the
    // last bit, which made a PPO run's step-1 KL 0 in one run and −2e-6 in the next.
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 · 2^23: (t + ROUND) − ROUND rounds t to an integer

    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-87.33654f).min(88.72283f);
        FloatVector nr = xc.mul(LOG2E).add(ROUND); // its bits are those of ROUND plus n
        FloatVector n = nr.sub(ROUND);
        FloatVector r = xc.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f).mul(r).add(8.3334519073e-3f)
                .mul(r).add(4.1665795894e-2f).mul(r).add(1.6666665459e-1f).mul(r).add(5.0000001201e-1f);
        p = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n from the bits of n + ROUND (a float → int convert here made the whole sampler 2.5× slower)
        FloatVector twoN = nr.reinterpretAsInts().sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return p.mul(twoN).blend(0f, x.compare(VectorOperators.LT, -87.33654f)); // exp(−inf) = 0 exactly
    }

    /** out[o..o+h) = silu(a) · b where a = f[fo..fo+h) (the w1 half) and b = f[fo+h..fo+2h) (the w3 half). */
    static void swiglu(float[] out, int o, float[] f, int fo, int h, float[] tail) {
        int i = 0;
        for (int bound = S.loopBound(h); i < bound; i += LANES) {
            FloatVector a = FloatVector.fromArray(S, f, fo + i), b = FloatVector.fromArray(S, f, fo + h + i);
            a.div(exp(a.neg()).add(1f)).mul(b).intoArray(out, o + i);
        }
        if (i < h) { // the last h % LANES elements through zero-padded scratch, not a scalar exp each (~2 % of samples)
            int rest = h - i;
            Arrays.fill(tail, 0f);
            System.arraycopy(f, fo + i, tail, 0, rest);
            System.arraycopy(f, fo + h + i, tail, LANES, rest);
            FloatVector a = FloatVector.fromArray(S, tail, 0), b = FloatVector.fromArray(S, tail, LANES);
            a.div(exp(a.neg()).add(1f)).mul(b).intoArray(tail, 0);
            System.arraycopy(tail, 0, out, o + i, rest);
        }
    }

    /**
     * out[r] = x[r] · w / sqrt(mean(x[r]²) + eps), as llama2.c's rmsnorm. The sum of squares runs in SIMD lanes
     * summed in a fixed order ({@link #sumLanes}), so every JIT tier gives the same bits.
     */
    void rmsNorm(float[] out, float[] x, float[] w, int n, int d, float[] lanes) {
        int bound = S.loopBound(d);
        for (int r = 0; r < n; r++) {
            int o = r * d, i = 0;
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(S, x, o + i);
                acc = v.fma(v, acc);
            }
            acc.intoArray(lanes, 0);
            float ss = sumLanes(lanes);
            for (; i < d; i++) ss += x[o + i] * x[o + i];
            ss = ss / d + c.normEps();
            ss = (float) (1.0 / Math.sqrt(ss));
            FloatVector sv = FloatVector.broadcast(S, ss);
            int j = 0;
            for (; j < bound; j += LANES) {
                FloatVector.fromArray(S, w, j).mul(sv.mul(FloatVector.fromArray(S, x, o + j))).intoArray(out, o + j);
            }
            for (; j < d; j++) out[o + j] = w[j] * (ss * x[o + j]);
        }
    }

    /**
     * The sum of {@code lanes[0, LANES)} in a fixed order, for a vector stored there with {@code intoArray}:
     * reduceLanes' order differs between JIT tiers. The vector itself is never passed to a method, because one that
     * is not inlined gets it boxed, and those allocations cost more than the sum (page faults, 15 % of a profile).
     */
    static float sumLanes(float[] lanes) {
        float sum = 0;
        for (int i = 0; i < LANES; i++) sum += lanes[i];
        return sum;
    }

    /** x[r][0..d) += y[r][0..d) where y has row stride {@code stride}. */
    static void addRows(float[] x, float[] y, int stride, int n, int d) {
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) x[r * d + i] += y[r * stride + i];
        }
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        float max = v[off];
        for (int i = 1; i < n; i++) {
            if (v[off + i] > max) { max = v[off + i]; best = i; }
        }
        return best;
    }
}
