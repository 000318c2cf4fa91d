package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 * @param shared       the same rows with each distinct prompt once ({@link #ofSharedPrompts}), or null
 */
public record SequenceBatch(NDArray tokens, NDArray positions, NDArray bias, NDArray targets, NDArray responseMask,
        NDArray lastIndex, int promptWidth, int responseWidth, int[] start, int[] end, SharedPrompts shared) {

    /**
     * The rows split for {@link Llama#forward(SequenceBatch)}'s shared-prompt path: P distinct prompts, left-padded
     * to Tp as in the full batch, and the B response rows, each attending to its prompt's keys.
     *
     * @param promptTokens      [P, Tp] (int32)
     * @param promptPositions   [P, Tp] (int64)
     * @param promptBias        [P, 1, 1, Tp, Tp] causal + padding
     * @param responseTokens    [B, Tr] (int32)
     * @param responsePositions [B, Tr] (int64), continuing the prompt's positions
     * @param responseBias      [B, 1, 1, Tr, Tp + Tr]: the prompt's real tokens, then causal over the response
     * @param promptOf          [B] (int64) the prompt row of each response row
     */
    public record SharedPrompts(NDArray promptTokens, NDArray promptPositions, NDArray promptBias,
            NDArray responseTokens, NDArray responsePositions, NDArray responseBias, NDArray promptOf) {}

    /**
     * {@link #of}, plus the shared-prompt split when rows repeat prompts (preference pairs, ranked lists, GRPO
     * groups), so each distinct prompt runs through the model once. Without a repeated prompt it is {@link #of}.
     */
    public static SequenceBatch ofSharedPrompts(NDManager m, int[][] prompts, int[][] responses, int padToken) {
        SequenceBatch full = of(m, prompts, responses, padToken);
        int batch = prompts.length, tp = full.promptWidth, tr = full.responseWidth;
        Map<List<Integer>, Integer> index = new HashMap<>();
        List<int[]> distinct = new ArrayList<>();
        long[] promptOf = new long[batch];
        for (int b = 0; b < batch; b++) {
            List<Integer> key = Arrays.stream(prompts[b]).boxed().toList();
            Integer i = index.get(key);
            if (i == null) {
                i = distinct.size();
                index.put(key, i);
                distinct.add(prompts[b]);
            }
            promptOf[b] = i;
        }
        if (distinct.size() == batch) return full;
        int np = distinct.size();
        int[] pTokens = new int[np * tp], pStart = new int[np], pEnd = new int[np];
        Arrays.fill(pTokens, padToken);
        for (int i = 0; i < np; i++) {
            int[] p = distinct.get(i);
            pStart[i] = tp - p.length;
            pEnd[i] = tp;
            System.arraycopy(p, 0, pTokens, i * tp + pStart[i], p.length);
        }
        int[] rTokens = new int[batch * tr];
        Arrays.fill(rTokens, padToken);
        for (int b = 0; b < batch; b++) System.arraycopy(responses[b], 0, rTokens, b * tr, responses[b].length);
        SharedPrompts s = new SharedPrompts(
                m.create(pTokens, new Shape(np, tp)),
                Masks.positions(m, pStart, tp, 0),
                Masks.bias(m, pStart, pEnd, tp),
                m.create(rTokens, new Shape(batch, tr)),
                Masks.positions(m, full.start, tr, tp),
                Masks.bias(m, full.start, full.end, tr, tp + tr, tp),
                m.create(promptOf, new Shape(batch)));
        return new SequenceBatch(full.tokens, full.positions, full.bias, full.targets, full.responseMask,
                full.lastIndex, tp, tr, full.start, full.end, s);
    }

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
        Arrays.fill(tokens, padToken);
        Arrays.fill(targets, padToken);
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
                tp, tr, start, end, null);
    }

    public int rows() { return start.length; }

    /** Hidden states of the columns whose logits predict the response tokens: [B, T, D] → [B, Tr, D]. */
    public NDArray responsePredictors(NDArray hidden) {
        return hidden.get(new NDIndex(":, {}:{}, :", promptWidth - 1, promptWidth - 1 + responseWidth));
    }
}
