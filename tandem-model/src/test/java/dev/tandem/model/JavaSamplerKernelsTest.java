package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The sampler's two-head attention kernels against the one-head kernels they replace (bit for bit, so the sampler's
 * output does not depend on which path a model's head layout takes), and the pooled KV caches: a call after a
 * larger one, on dirty buffers, gives what a fresh sampler gives.
 */
class JavaSamplerKernelsTest {
    static final int LANES = FloatVector.SPECIES_PREFERRED.length();

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 4 - 2);
        return a;
    }

    @Test
    void twoHeadScoresEqualOneHeadScoresBitForBit() {
        for (int hs : new int[] {2, 4, 8, 16, 32}) {
            int stride = 5 * LANES, len = 3 * LANES, k0 = 7;
            float[] keys = random(k0 + hs * stride, hs), q = random(3 * hs, hs + 1);
            float[] a = new float[len], b = new float[len], pair = new float[2 * (stride + LANES)];
            int sb = pair.length / 2;
            JavaSampler.attentionScores(a, q, 0, 0.3f, keys, k0, stride, hs, len);
            JavaSampler.attentionScores(b, q, 2 * hs, 0.3f, keys, k0, stride, hs, len);
            JavaSampler.attentionScores2(pair, sb, q, 0, 2 * hs, 0.3f, keys, k0, stride, hs, len);
            for (int t = 0; t < len; t++) {
                assertEquals(Float.floatToIntBits(a[t]), Float.floatToIntBits(pair[t]), "hs " + hs + " head a t " + t);
                assertEquals(Float.floatToIntBits(b[t]), Float.floatToIntBits(pair[sb + t]), "hs " + hs + " head b t " + t);
            }
        }
    }

    @Test
    void twoHeadWeightedSumEqualsOneHeadWeightedSumBitForBit() {
        for (int hs = 1; hs < LANES; hs *= 2) {
            for (int len : new int[] {LANES, 3 * LANES}) {
                int v0 = 3 * hs, sb = 4 * LANES;
                float[] values = random(v0 + len * hs, 10 + hs), scores = random(2 * sb, 20 + len);
                float[] tmp = new float[LANES], one = new float[2 * hs + 4], two = new float[2 * hs + 4];
                float[] shifted = java.util.Arrays.copyOfRange(scores, sb, 2 * sb);
                JavaSampler.weightedSum(one, 1, scores, values, v0, hs, len, tmp);
                JavaSampler.weightedSum(one, 1 + hs, shifted, values, v0, hs, len, tmp);
                JavaSampler.weightedSum2(two, 1, 1 + hs, scores, sb, values, v0, hs, len, tmp);
                for (int e = 0; e < one.length; e++) {
                    assertEquals(Float.floatToIntBits(one[e]), Float.floatToIntBits(two[e]), "hs " + hs + " len " + len + " e " + e);
                }
            }
        }
    }

    @Test
    void sumLanesAddsInLaneOrder() {
        float[] lanes = random(LANES, 3);
        float want = 0;
        for (float v : lanes) want += v;
        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(JavaSampler.sumLanes(lanes)));
    }

    @Test
    void pooledCachesLeaveNoTraceBetweenCalls() {
        try (Llama model = TestModels.random(5)) {
            int[][] big = new int[16][], small = {{1, 9, 4}, {1, 2, 8, 8, 8}};
            for (int i = 0; i < big.length; i++) big[i] = new int[] {1, 3 + i, 7, 11 + i % 5};
            SamplingConfig cfg = new SamplingConfig(1f, 0, 1f, 30, 41, false);
            Generation fresh = new JavaSampler(model, new int[] {2}, 0).generate(small, cfg);
            JavaSampler reused = new JavaSampler(model, new int[] {2}, 0);
            reused.generate(big, cfg.withSeed(7)); // fills the pooled caches with another batch's keys and values
            Generation after = reused.generate(small, cfg);
            for (int r = 0; r < small.length; r++) {
                assertArrayEquals(fresh.tokens()[r], after.tokens()[r], "row " + r);
                assertArrayEquals(fresh.logProbs()[r], after.logProbs()[r], 0f, "row " + r + " log-probs");
            }
        }
    }
}
