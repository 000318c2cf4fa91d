package dev.tandem.model;

/**
 * The architecture of a Llama-family transformer, as in llama2.c's {@code Config}.
 *
 * @param dim          model (residual stream) width
 * @param hiddenDim    SwiGLU feed-forward width
 * @param nLayers      number of transformer blocks
 * @param nHeads       query heads
 * @param nKvHeads     key/value heads (grouped-query attention when fewer than {@code nHeads})
 * @param vocabSize    tokenizer vocabulary size
 * @param seqLen       maximum sequence length (positions)
 * @param sharedClassifier whether the output classifier is the token embedding (tied weights)
 * @param normEps      RMSNorm epsilon
 * @param ropeTheta    rotary embedding base
 */
public record LlamaConfig(
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int vocabSize,
        int seqLen,
        boolean sharedClassifier,
        float normEps,
        float ropeTheta) {

    public LlamaConfig {
        requirePositive("dim", dim);
        requirePositive("hiddenDim", hiddenDim);
        requirePositive("nLayers", nLayers);
        requirePositive("nHeads", nHeads);
        requirePositive("nKvHeads", nKvHeads);
        requirePositive("vocabSize", vocabSize);
        requirePositive("seqLen", seqLen);
        if (dim % nHeads != 0) {
            throw new IllegalArgumentException("dim (" + dim + ") must be divisible by nHeads (" + nHeads + ")");
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException(
                    "nHeads (" + nHeads + ") must be divisible by nKvHeads (" + nKvHeads + ")");
        }
        if ((dim / nHeads) % 2 != 0) {
            throw new IllegalArgumentException("head size (" + dim / nHeads + ") must be even for rotary embeddings");
        }
        if (!(normEps > 0) || !Float.isFinite(normEps)) {
            throw new IllegalArgumentException("normEps must be a positive finite number, got " + normEps);
        }
        if (!(ropeTheta > 0) || !Float.isFinite(ropeTheta)) {
            throw new IllegalArgumentException("ropeTheta must be a positive finite number, got " + ropeTheta);
        }
    }

    /** A config with llama2.c's defaults for eps (1e-5) and rope theta (10000). */
    public static LlamaConfig of(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
            int seqLen, boolean sharedClassifier) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier,
                1e-5f, 10000f);
    }

    public int headSize() { return dim / nHeads; }

    /** Width of the key and value projections: {@code nKvHeads * headSize}. */
    public int kvDim() { return nKvHeads * headSize(); }

    /** Query heads that share one key/value head. */
    public int groupSize() { return nHeads / nKvHeads; }

    /** Number of trainable parameters (without heads other than the LM classifier). */
    public long parameterCount() {
        long perLayer = 2L * dim                       // two RMSNorm weights
                + (long) dim * (dim + 2L * kvDim())    // wq, wk, wv
                + (long) dim * dim                     // wo
                + 3L * dim * hiddenDim;                // w1, w2, w3
        return (long) vocabSize * dim + nLayers * perLayer + dim + (sharedClassifier ? 0 : (long) vocabSize * dim);
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
}
