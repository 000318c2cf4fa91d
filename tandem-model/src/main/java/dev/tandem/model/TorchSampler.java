package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Batched sampling with a KV cache on the tensor engine (DJL + libtorch). Prompts of different lengths are left-padded; each row keeps its true rotary
 * positions. One forward pass over the prompts (prefill), then one batched forward per new token.
 *
 * <p>Per step, the log-softmax of the last logits comes to the host once ([B, V] floats) and tokens are drawn
 * there from each row's own seeded stream ({@link SamplingConfig#rowRandom}), so runs are reproducible without
 * touching global RNG state.
 */
public final class TorchSampler implements Sampler {
    private final Llama model;
    private final int[] stopTokens;
    private final int padToken;

    /**
     * @param stopTokens token ids that end a row (llama2.c stops at BOS=1; Llama tokenizers end with EOS=2)
     * @param padToken   id fed in padding columns (any valid id; it is masked out)
     */
    public TorchSampler(Llama model, int[] stopTokens, int padToken) {
        this.model = model;
        this.stopTokens = stopTokens.clone();
        this.padToken = padToken;
        if (padToken < 0 || padToken >= model.config().vocabSize()) {
            throw new IllegalArgumentException("pad token " + padToken + " outside the vocabulary");
        }
    }

    @Override
    public Generation generate(int[][] prompts, SamplingConfig cfg) {
        int batch = prompts.length;
        if (batch == 0) throw new IllegalArgumentException("no prompts");
        int promptWidth = 0;
        for (int b = 0; b < batch; b++) {
            if (prompts[b].length == 0) throw new IllegalArgumentException("prompt " + b + " is empty");
            promptWidth = Math.max(promptWidth, prompts[b].length);
        }
        LlamaConfig c = model.config();
        int maxNew = cfg.maxNewTokens();
        // The last sampled token is never fed back, so the cache needs promptWidth + maxNew - 1 columns.
        int cacheLength = promptWidth + maxNew - 1;
        if (cacheLength > c.seqLen()) {
            throw new IllegalArgumentException("prompt (" + promptWidth + " tokens) plus " + maxNew
                    + " new tokens exceeds the model's " + c.seqLen() + " positions");
        }
        int[] start = new int[batch];
        int[] tokens = new int[batch * promptWidth];
        Arrays.fill(tokens, padToken);
        for (int b = 0; b < batch; b++) {
            start[b] = promptWidth - prompts[b].length;
            System.arraycopy(prompts[b], 0, tokens, b * promptWidth + start[b], prompts[b].length);
        }

        int[][] out = new int[batch][maxNew];
        float[][] logp = new float[batch][maxNew];
        int[] length = new int[batch];
        boolean[] finished = new boolean[batch];
        SplittableRandom[] rnd = new SplittableRandom[batch];
        for (int b = 0; b < batch; b++) rnd[b] = cfg.rowRandom(b);
        float invTemp = 1f / cfg.logProbTemperature();
        int vocab = c.vocabSize();

        try (NDManager m = model.manager().newSubManager()) {
            KvCache cache = new KvCache(m, c, batch, cacheLength);
            float[] logProbs;
            try (NDManager step = m.newSubManager()) {                     // prefill
                NDArray input = step.create(tokens, new Shape(batch, promptWidth));
                NDArray positions = Masks.positions(step, start, promptWidth, 0);
                int[] end = new int[batch];
                Arrays.fill(end, promptWidth);
                NDArray bias = Masks.bias(step, start, end, promptWidth, cacheLength, 0);
                NDArray hidden = model.forward(input, positions, bias, cache, 0);       // [B, Tp, D]
                NDArray last = hidden.get(new NDIndex(":, -1:, :"));                     // [B, 1, D]
                logProbs = model.logits(last).mul(invTemp).logSoftmax(-1).toFloatArray(); // [B·V]
            }
            int[] next = new int[batch];
            for (int i = 0; i < maxNew; i++) {
                boolean allDone = true;
                for (int b = 0; b < batch; b++) {
                    if (finished[b]) { next[b] = padToken; continue; }
                    int tok = cfg.temperature() == 0 ? argmax(logProbs, b * vocab, vocab)
                            : sample(logProbs, b * vocab, vocab, cfg, rnd[b]);
                    out[b][length[b]] = tok;
                    logp[b][length[b]] = logProbs[b * vocab + tok];
                    length[b]++;
                    next[b] = tok;
                    if (cfg.stopAtEos() && isStop(tok)) finished[b] = true;
                    else allDone = false;
                }
                if (allDone || i == maxNew - 1) break;
                int column = promptWidth + i;
                try (NDManager step = m.newSubManager()) {
                    NDArray input = step.create(next, new Shape(batch, 1));
                    NDArray positions = Masks.positions(step, start, 1, column);
                    NDArray bias = Masks.decodeBias(step, start, column, cacheLength);
                    NDArray hidden = model.forward(input, positions, bias, cache, column); // [B, 1, D]
                    logProbs = model.logits(hidden).mul(invTemp).logSoftmax(-1).toFloatArray();
                }
            }
        }
        int[][] tok = new int[batch][];
        float[][] lp = new float[batch][];
        for (int b = 0; b < batch; b++) {
            tok[b] = Arrays.copyOf(out[b], length[b]);
            lp[b] = Arrays.copyOf(logp[b], length[b]);
        }
        return new Generation(tok, lp, finished);
    }

    private boolean isStop(int token) {
        for (int s : stopTokens) if (s == token) return true;
        return false;
    }

    /** The first index of the largest value, as llama2.c's argmax. */
    static int argmax(float[] v, int from, int n) {
        int best = 0;
        float max = v[from];
        for (int i = 1; i < n; i++) {
            if (v[from + i] > max) { max = v[from + i]; best = i; }
        }
        return best;
    }

    /** Draws from the row's log-probs, restricted by top-k and top-p when set. */
    static int sample(float[] logProbs, int from, int n, SamplingConfig cfg, SplittableRandom rnd) {
        float[] p = new float[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.exp(logProbs[from + i]);
            sum += p[i];
        }
        return Sampling.draw(p, sum, cfg, rnd);
    }
}
