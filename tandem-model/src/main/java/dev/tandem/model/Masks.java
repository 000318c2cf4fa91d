package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Attention biases and rotary positions for padded batches.
 *
 * <p>Every row b of a batch of width T holds its real tokens in columns [start[b], end[b]): left padding before
 * (prompts of different lengths), right padding after (responses of different lengths).
 */
public final class Masks {
    private Masks() {}

    /** Positions [B, T] (int64): column minus the row's start, clamped at 0 inside the left padding. */
    public static NDArray positions(NDManager m, int[] start, int width, int offset) {
        long[] pos = new long[start.length * width];
        for (int b = 0; b < start.length; b++) {
            for (int j = 0; j < width; j++) pos[b * width + j] = Math.max(0, offset + j - start[b]);
        }
        return m.create(pos, new Shape(start.length, width));
    }

    /**
     * Attention bias [B, 1, 1, T, Tk] for queries at columns [offset, offset + T) over key columns [0, Tk): a key
     * is visible when it is not in the future (causal) and lies within its row's [start, end).
     */
    public static NDArray bias(NDManager m, int[] start, int[] end, int queries, int keys, int offset) {
        int batch = start.length;
        float[] causal = new float[queries * keys];
        for (int i = 0; i < queries; i++) {
            for (int j = 0; j < keys; j++) causal[i * keys + j] = j > offset + i ? Llama.MASKED : 0f;
        }
        float[] key = new float[batch * keys];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < keys; j++) key[b * keys + j] = j < start[b] || j >= end[b] ? Llama.MASKED : 0f;
        }
        NDArray keyBias = m.create(key, new Shape(batch, 1, 1, 1, keys));
        return keyBias.add(m.create(causal, new Shape(1, 1, 1, queries, keys)));
    }

    /** Bias for full-sequence attention within a padded batch: T queries over the same T keys. */
    public static NDArray bias(NDManager m, int[] start, int[] end, int width) {
        return bias(m, start, end, width, width, 0);
    }

    /** Bias [B, 1, 1, 1, Tk] for one decoding step at {@code column}: keys [start[b], column] are visible. */
    public static NDArray decodeBias(NDManager m, int[] start, int column, int keys) {
        float[] key = new float[start.length * keys];
        for (int b = 0; b < start.length; b++) {
            for (int j = 0; j < keys; j++) key[b * keys + j] = j < start[b] || j > column ? Llama.MASKED : 0f;
        }
        return m.create(key, new Shape(start.length, 1, 1, 1, keys));
    }
}
