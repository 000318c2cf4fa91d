package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Scoring without sampling: per-token log-probs and entropies of given responses under a model, batched and
 * masked. PPO, DPO and friends build their losses on {@link #logProbsAndEntropy}; with autograd on, gradients
 * flow through it.
 */
public final class Scoring {
    private Scoring() {}

    /** Per-token scores of a batch, on the host. Padding positions hold 0. */
    public record Scores(float[][] logProbs, float[][] entropies) {}

    /**
     * Log p(response token | prefix) and the entropy of each predicting distribution, both [B, Tr], zero on
     * padding. Logits are divided by {@code temperature} first, as the sampler does.
     */
    public static NDList logProbsAndEntropy(Llama model, SequenceBatch batch, float temperature) {
        NDArray hidden = model.forward(batch.tokens(), batch.positions(), batch.bias(), null, 0);
        NDArray logits = model.logits(batch.responsePredictors(hidden));                 // [B, Tr, V]
        if (temperature != 1f) logits = logits.div(temperature);
        NDArray logp = logits.logSoftmax(-1);                                            // [B, Tr, V]
        NDArray tokenLogp = logp.gather(batch.targets().expandDims(-1), -1).squeeze(-1); // [B, Tr]
        NDArray entropy = logp.exp().mul(logp).sum(new int[] {-1}).neg();                // [B, Tr]
        return new NDList(tokenLogp.mul(batch.responseMask()), entropy.mul(batch.responseMask()));
    }

    /** Scores responses without gradients and returns them per row, trimmed to each response's length. */
    public static Scores score(Llama model, int[][] prompts, int[][] responses, float temperature, int padToken) {
        try (NDManager m = model.manager().newSubManager()) {
            SequenceBatch batch = SequenceBatch.of(m, prompts, responses, padToken);
            NDList out = logProbsAndEntropy(model, batch, temperature);
            float[] lp = out.get(0).toFloatArray(), ent = out.get(1).toFloatArray();
            int tr = batch.responseWidth();
            float[][] logProbs = new float[prompts.length][], entropies = new float[prompts.length][];
            for (int b = 0; b < prompts.length; b++) {
                logProbs[b] = java.util.Arrays.copyOfRange(lp, b * tr, b * tr + responses[b].length);
                entropies[b] = java.util.Arrays.copyOfRange(ent, b * tr, b * tr + responses[b].length);
            }
            return new Scores(logProbs, entropies);
        }
    }
}
