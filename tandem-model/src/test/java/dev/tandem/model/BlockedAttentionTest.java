package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * Without a cache, long rows run attention in query blocks over a causal prefix of the keys; with a cache, it runs
 * over all keys at once. Both must give the same hidden states for padded rows, including a ragged last block.
 */
class BlockedAttentionTest {

    @Test
    void blockedCausalAttentionMatchesFullAttention() {
        TensorEngine.start();
        int width = 2 * Llama.QUERY_BLOCK + 26; // two full blocks and a ragged one
        LlamaConfig c = LlamaConfig.of(16, 40, 2, 4, 2, 37, width + 8, false);
        try (Llama model = Llama.random(c, 11, false); NDManager m = NDManager.newBaseManager()) {
            int rows = (int) (Llama.BLOCKED_MIN_SCORES / ((long) c.nHeads() * width * width)) + 1; // enough to block
            int[] start = new int[rows], end = new int[rows];                    // left and right padding
            for (int b = 0; b < rows; b++) {
                start[b] = (b * 17) % 45;
                end[b] = width - (b * 5) % 12;
            }
            int[] tokens = new int[start.length * width];
            for (int i = 0; i < tokens.length; i++) tokens[i] = 1 + (i * 7 + i / 13) % 36;
            NDArray input = m.create(tokens, new Shape(start.length, width));
            NDArray positions = Masks.positions(m, start, width, 0);
            NDArray bias = Masks.bias(m, start, end, width);
            float[] blocked = model.forward(input, positions, bias, null, 0).toFloatArray();
            KvCache cache = new KvCache(m, c, start.length, width);
            float[] full = model.forward(input, positions, bias, cache, 0).toFloatArray();
            assertEquals(full.length, blocked.length);
            double maxAbs = 0;
            for (int b = 0; b < start.length; b++) {
                for (int j = start[b]; j < end[b]; j++) {                        // real tokens only
                    for (int i = 0; i < c.dim(); i++) {
                        int at = (b * width + j) * c.dim() + i;
                        maxAbs = Math.max(maxAbs, Math.abs(full[at]));
                        assertEquals(full[at], blocked[at], 1e-4f, "row " + b + " column " + j + " dim " + i);
                    }
                }
            }
            assertTrue(maxAbs > 0.1, "hidden states too small to test anything: " + maxAbs);
        }
    }
}
