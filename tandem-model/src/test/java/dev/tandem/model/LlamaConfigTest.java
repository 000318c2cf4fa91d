package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LlamaConfigTest {
    @Test
    void validatesDimensions() {
        assertMessage(() -> LlamaConfig.of(0, 8, 1, 1, 1, 10, 10, true), "dim must be positive");
        assertMessage(() -> LlamaConfig.of(16, 8, 1, 3, 1, 10, 10, true), "dim (16) must be divisible by nHeads (3)");
        assertMessage(() -> LlamaConfig.of(16, 8, 1, 4, 3, 10, 10, true), "nHeads (4) must be divisible by nKvHeads (3)");
        assertMessage(() -> LlamaConfig.of(12, 8, 1, 4, 2, 10, 10, true), "head size (3) must be even");
        assertMessage(() -> LlamaConfig.of(16, 8, 1, 4, 2, -1, 10, true), "vocabSize must be positive");
        assertMessage(() -> new LlamaConfig(16, 8, 1, 4, 2, 10, 10, true, 0f, 1e4f), "normEps");
    }

    @Test
    void derivedSizesOfStories260K() {
        LlamaConfig c = LlamaConfig.of(64, 172, 5, 8, 4, 512, 512, true);
        assertEquals(8, c.headSize());
        assertEquals(32, c.kvDim());
        assertEquals(2, c.groupSize());
        // llama2.c's count for stories260K: 263,488 weights without the freq_cis tables (264,128 - 512·8/2·2 + ...)
        assertEquals(512 * 64 + 5 * (2 * 64 + 64 * (64 + 64) + 64 * 64 + 3 * 64 * 172) + 64, c.parameterCount());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String fragment) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(fragment), ex.getMessage());
    }
}
