package dev.tandem.model;

/**
 * The result of batched sampling.
 *
 * @param tokens   per row, the generated tokens; a finished row ends with its stop token (EOS or BOS)
 * @param logProbs per row, log p(token) under the model at the sampling temperature (unfiltered by top-k/top-p),
 *                 one per generated token
 * @param finished per row, whether it stopped at a stop token rather than at {@code maxNewTokens}
 */
public record Generation(int[][] tokens, float[][] logProbs, boolean[] finished) {
    public Generation {
        if (tokens.length != logProbs.length || tokens.length != finished.length) {
            throw new IllegalArgumentException("rows differ in count");
        }
        for (int b = 0; b < tokens.length; b++) {
            if (tokens[b].length != logProbs[b].length) {
                throw new IllegalArgumentException("row " + b + ": tokens and log-probs differ in length");
            }
        }
    }

    public int rows() { return tokens.length; }

    /** Total number of generated tokens over all rows. */
    public long tokenCount() {
        long n = 0;
        for (int[] t : tokens) n += t.length;
        return n;
    }
}
