package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Prompt + response rows packed for one forward pass: prompts left-padded to width Tp, responses right-padded to
 * width Tr, so every response starts at column Tp. Row b holds real tokens in [start[b], end[b]).
 *
 * <pre>
 *   [pad pad p0 p1 p2 | r0 r1 r2 pad]      Tp = 5 prompt columns, Tr = 4 response columns
 * </pre>
 *
 * @param tokens       [B, Tp + Tr] token ids (int32)
 * @param positions    [B, Tp + Tr] rotary positions (int64)
 * @param bias         [B, 1, 1, T, T] causal + padding attention bias
 * @param targets      [B, Tr] the response tokens (int64; pad where the response ended)
 * @param responseMask [B, Tr] 1 for real response tokens, 0 for padding (float32)
 * @param lastIndex    [B] column of each row's last real token (int64), where reward heads read
 */
public record SequenceBatch(NDArray tokens, NDArray positions, NDArray bias, NDArray targets, NDArray responseMask,
        NDArray lastIndex, int promptWidth, int responseWidth, int[] start, int[] end) {

    /** Packs rows into arrays owned by {@code m}. Responses may be empty (then only the prompt is scored). */
    public static SequenceBatch of(NDManager m, int[][] prompts, int[][] responses, int padToken) {
        int batch = prompts.length;
        if (batch == 0 || responses.length != batch) {
            throw new IllegalArgumentException("need as many responses as prompts, and at least one row");
        }
        int tp = 0, tr = 0;
        for (int b = 0; b < batch; b++) {
            if (prompts[b].length == 0) throw new IllegalArgumentException("prompt " + b + " is empty");
            tp = Math.max(tp, prompts[b].length);
            tr = Math.max(tr, responses[b].length);
        }
        tr = Math.max(tr, 1);
        int width = tp + tr;
        int[] tokens = new int[batch * width];
        long[] targets = new long[batch * tr];
        float[] mask = new float[batch * tr];
        long[] last = new long[batch];
        int[] start = new int[batch], end = new int[batch];
        java.util.Arrays.fill(tokens, padToken);
        java.util.Arrays.fill(targets, padToken);
        for (int b = 0; b < batch; b++) {
            start[b] = tp - prompts[b].length;
            end[b] = tp + responses[b].length;
            System.arraycopy(prompts[b], 0, tokens, b * width + start[b], prompts[b].length);
            System.arraycopy(responses[b], 0, tokens, b * width + tp, responses[b].length);
            for (int i = 0; i < responses[b].length; i++) {
                targets[b * tr + i] = responses[b][i];
                mask[b * tr + i] = 1f;
            }
            last[b] = end[b] - 1;
        }
        return new SequenceBatch(
                m.create(tokens, new Shape(batch, width)),
                Masks.positions(m, start, width, 0),
                Masks.bias(m, start, end, width),
                m.create(targets, new Shape(batch, tr)),
                m.create(mask, new Shape(batch, tr)),
                m.create(last, new Shape(batch)),
                tp, tr, start, end);
    }

    public int rows() { return start.length; }

    /** Hidden states of the columns whose logits predict the response tokens: [B, T, D] → [B, Tr, D]. */
    public NDArray responsePredictors(NDArray hidden) {
        return hidden.get(new NDIndex(":, {}:{}, :", promptWidth - 1, promptWidth - 1 + responseWidth));
    }
}
