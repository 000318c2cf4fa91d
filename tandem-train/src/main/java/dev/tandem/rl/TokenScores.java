package dev.tandem.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tandem.model.GraphScalars;
import dev.tandem.model.Llama;
import dev.tandem.model.SequenceBatch;

/**
 * One batched forward over prompt + response rows giving, per response token, the log-prob of the token, optionally
 * the entropy of the predicting distribution and the scalar (value) head — all [B, Tr], zero on padding. The value
 * at token t is read at the position that predicts t, i.e. it values the state before t is chosen.
 */
public final class TokenScores {
    private TokenScores() {}

    public record Out(NDArray logp, NDArray entropy, NDArray values) {}

    public static Out forward(Llama model, SequenceBatch batch, float temperature, boolean withEntropy,
            boolean withValues) {
        return forward(model, batch, temperature, withEntropy, false, withValues);
    }

    /**
     * @param entropyGradient whether gradients flow through the entropy (only when it is part of the loss; otherwise
     *                        it is computed from detached log-probs and costs no backward work)
     */
    public static Out forward(Llama model, SequenceBatch batch, float temperature, boolean withEntropy,
            boolean entropyGradient, boolean withValues) {
        NDArray hidden = model.forward(batch);
        NDArray h = batch.responsePredictors(hidden);                                  // [B, Tr, D]
        NDArray logits = model.logits(h);                                              // [B, Tr, V]
        if (temperature != 1f) logits = logits.div(GraphScalars.of(logits, temperature)); // kept until backward
        NDArray all = logits.logSoftmax(-1);
        NDArray mask = batch.responseMask();
        NDArray logp = all.gather(batch.targets().expandDims(-1), -1).squeeze(-1).mul(mask);
        NDArray entropy = null;
        if (withEntropy) {
            NDArray a = entropyGradient ? all : all.stopGradient();
            entropy = a.exp().mul(a).sum(new int[] {-1}).neg().mul(mask);
        }
        NDArray values = withValues ? model.scalar(h).mul(mask) : null;
        return new Out(logp, entropy, values);
    }

    /** Value head only (a separate value model). */
    public static NDArray values(Llama valueModel, SequenceBatch batch) {
        NDArray hidden = valueModel.forward(batch);
        return valueModel.scalar(batch.responsePredictors(hidden)).mul(batch.responseMask());
    }

    /** A [B, Tr] array cut into ragged rows of the given lengths. */
    public static float[][] rows(NDArray a, int[][] responses) {
        float[] flat = a.toFloatArray();
        int tr = (int) a.getShape().get(1);
        float[][] out = new float[responses.length][];
        for (int b = 0; b < responses.length; b++) {
            out[b] = java.util.Arrays.copyOfRange(flat, b * tr, b * tr + responses[b].length);
        }
        return out;
    }

    /** Ragged rows (selected by {@code rows}) padded with zeros into a [n, width] array. */
    public static NDArray padded(NDManager m, float[][] values, int[] rows, int width) {
        float[] flat = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            float[] r = values[rows[i]];
            System.arraycopy(r, 0, flat, i * width, Math.min(r.length, width));
        }
        return m.create(flat, new Shape(rows.length, width));
    }
}
