package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The two samplers against each other and against full-sequence scoring: KV-cache decoding equals recomputation,
 * a batch equals its rows run one at a time (with left padding in play), and the scorer's log-probs equal the
 * sampler's for the same tokens — the property PPO's first ratio of 1 rests on.
 */
class SamplerConsistencyTest {
    static Llama model;
    static final int[] STOP = {2};
    static final int[][] PROMPTS = {{1, 5, 9, 33, 2, 17, 4}, {1}, {1, 30, 11, 7}};

    @BeforeAll
    static void load() {
        model = TestModels.random(11);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static List<Sampler> samplers() {
        return List.of(new TorchSampler(model, STOP, 0), new JavaSampler(model, STOP, 0));
    }

    @Test
    void samplersAgreeWithEachOtherTokenForToken() {
        SamplingConfig cfg = new SamplingConfig(1f, 0, 1f, 20, 123, false);
        Generation torch = new TorchSampler(model, STOP, 0).generate(PROMPTS, cfg);
        Generation java = new JavaSampler(model, STOP, 0).generate(PROMPTS, cfg);
        for (int b = 0; b < PROMPTS.length; b++) {
            assertArrayEquals(torch.tokens()[b], java.tokens()[b], "row " + b);
            TestModels.assertClose(torch.logProbs()[b], java.logProbs()[b], 1e-4f, "row " + b + " log-probs");
        }
    }

    @Test
    void samplerLogProbsEqualFullSequenceScoring() {
        for (Sampler s : samplers()) {
            for (float temperature : new float[] {1f, 0.7f}) {
                SamplingConfig cfg = new SamplingConfig(temperature, 0, 1f, 25, 5, false);
                Generation g = s.generate(PROMPTS, cfg);
                Scoring.Scores scores = Scoring.score(model, PROMPTS, g.tokens(), temperature, 0);
                for (int b = 0; b < PROMPTS.length; b++) {
                    assertEquals(25, g.tokens()[b].length);
                    TestModels.assertClose(scores.logProbs()[b], g.logProbs()[b], 1e-4f,
                            s.getClass().getSimpleName() + " T=" + temperature + " row " + b);
                }
            }
        }
    }

    @Test
    void javaTeacherForcedScoresEqualLibtorchScoring() {
        // ragged responses, one empty, in a batch large enough to be split between threads
        int[][] prompts = new int[10][], responses = new int[10][];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int b = 0; b < prompts.length; b++) {
            prompts[b] = PROMPTS[b % PROMPTS.length];
            responses[b] = rnd.ints(b == 4 ? 0 : 1 + rnd.nextInt(30), 0, 37).toArray();
        }
        try (Llama withHead = model.copy(true)) {
            // a scalar head with non-trivial weights, so a wrong position or a missing norm would show
            float[] w = new float[16];
            for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i + 1.0);
            withHead.parameters().get(Llama.HEAD_WEIGHT).set(w);
            withHead.parameters().get(Llama.HEAD_BIAS).set(new float[] {0.25f});
            for (float temperature : new float[] {1f, 0.7f}) {
                JavaSampler.Scores java = new JavaSampler(withHead, STOP, 0).score(prompts, responses, temperature, true);
                Scoring.Scores torch = Scoring.score(withHead, prompts, responses, temperature, 0);
                float[][] values = libtorchValues(withHead, prompts, responses);
                for (int b = 0; b < prompts.length; b++) {
                    assertEquals(responses[b].length, java.logProbs()[b].length);
                    TestModels.assertClose(torch.logProbs()[b], java.logProbs()[b], 1e-4f, "T=" + temperature + " row " + b);
                    TestModels.assertClose(values[b], java.values()[b], 1e-4f, "values row " + b);
                }
            }
        }
        assertThrows(IllegalStateException.class,
                () -> new JavaSampler(model, STOP, 0).score(PROMPTS, new int[][] {{3}, {4}, {5}}, 1f, true));
        assertThrows(IllegalArgumentException.class,
                () -> new JavaSampler(model, STOP, 0).score(PROMPTS, new int[][] {{3}, {99}, {5}}, 1f, false));
    }

    @Test
    void javaScoringOfJavaSamplesRepeatsTheSamplersLogProbsBitForBit() {
        // the trainers reuse the rollout's log-probs instead of scoring the policy again on the SIMD path
        int[][] prompts = new int[10][];
        for (int b = 0; b < prompts.length; b++) prompts[b] = PROMPTS[b % PROMPTS.length];
        JavaSampler sampler = new JavaSampler(model, STOP, 0);
        for (float temperature : new float[] {1f, 0.7f}) {
            Generation g = sampler.generate(prompts, new SamplingConfig(temperature, 0, 1f, 20, 9, true));
            JavaSampler.Scores s = sampler.score(prompts, g.tokens(), temperature, false);
            for (int b = 0; b < prompts.length; b++) assertArrayEquals(g.logProbs()[b], s.logProbs()[b], 0f, "row " + b);
        }
    }

    @Test
    void sampledValuesRepeatTheTeacherForcedValuesBitForBit() {
        // PPO with a shared value head takes old log-probs and values from the sampler's own forward
        int[][] prompts = new int[10][];
        for (int b = 0; b < prompts.length; b++) prompts[b] = PROMPTS[b % PROMPTS.length];
        try (Llama withHead = model.copy(true)) {
            float[] w = new float[16];
            for (int i = 0; i < w.length; i++) w[i] = (float) Math.cos(i + 2.0);
            withHead.parameters().get(Llama.HEAD_WEIGHT).set(w);
            withHead.parameters().get(Llama.HEAD_BIAS).set(new float[] {-0.5f});
            JavaSampler sampler = new JavaSampler(withHead, STOP, 0);
            JavaSampler.Sampled out = sampler.generateWithValues(prompts, new SamplingConfig(0.8f, 0, 1f, 20, 4, true));
            Generation g = out.generation();
            JavaSampler.Scores s = sampler.score(prompts, g.tokens(), 0.8f, true);
            boolean stopped = false;
            for (int b = 0; b < prompts.length; b++) {
                assertEquals(g.tokens()[b].length, out.values()[b].length, "row " + b);
                assertArrayEquals(s.values()[b], out.values()[b], 0f, "values row " + b);
                assertArrayEquals(s.logProbs()[b], g.logProbs()[b], 0f, "log-probs row " + b);
                stopped |= g.finished()[b];
            }
            assertTrue(stopped, "some row should stop early, so values are cut to the tokens generated");
            assertTrue(java.util.Arrays.stream(out.values()).flatMap(v -> java.util.stream.IntStream.range(0, v.length)
                    .mapToObj(i -> v[i])).distinct().count() > 5, "values should vary along the rows");
        }
        assertThrows(IllegalStateException.class,
                () -> new JavaSampler(model, STOP, 0).generateWithValues(PROMPTS, SamplingConfig.greedy(3)));
    }

    /** The scalar head at the position that predicts each response token, through libtorch. */
    static float[][] libtorchValues(Llama m, int[][] prompts, int[][] responses) {
        try (ai.djl.ndarray.NDManager mm = m.manager().newSubManager()) {
            SequenceBatch batch = SequenceBatch.of(mm, prompts, responses, 0);
            ai.djl.ndarray.NDArray hidden = m.forward(batch.tokens(), batch.positions(), batch.bias(), null, 0);
            float[] flat = m.scalar(batch.responsePredictors(hidden)).toFloatArray();
            int tr = batch.responseWidth();
            float[][] out = new float[prompts.length][];
            for (int b = 0; b < prompts.length; b++) {
                out[b] = java.util.Arrays.copyOfRange(flat, b * tr, b * tr + responses[b].length);
            }
            return out;
        }
    }

    @Test
    void greedyTokensAreTheArgmaxOfRecomputedLogits() {
        for (Sampler s : samplers()) {
            Generation g = s.generate(PROMPTS, SamplingConfig.greedy(15).withStopAtEos(false));
            Scoring.Scores scores = Scoring.score(model, PROMPTS, g.tokens(), 1f, 0);
            // under greedy decoding each chosen token is the most likely one, so its log-prob is the row maximum;
            // check it against every other token's log-prob by scoring each alternative at the first position
            for (int b = 0; b < PROMPTS.length; b++) {
                int[][] alt = new int[model.config().vocabSize()][];
                int[][] prompts = new int[alt.length][];
                for (int v = 0; v < alt.length; v++) {
                    alt[v] = new int[] {v};
                    prompts[v] = PROMPTS[b];
                }
                float[][] first = Scoring.score(model, prompts, alt, 1f, 0).logProbs();
                float best = scores.logProbs()[b][0];
                for (float[] f : first) assertTrue(f[0] <= best + 1e-5f, s.getClass().getSimpleName() + " row " + b);
            }
        }
    }

    @Test
    void batchEqualsRowsRunAlone() {
        for (Sampler s : samplers()) {
            SamplingConfig cfg = SamplingConfig.greedy(12).withStopAtEos(false);
            Generation batch = s.generate(PROMPTS, cfg);
            for (int b = 0; b < PROMPTS.length; b++) {
                Generation alone = s.generate(new int[][] {PROMPTS[b]}, cfg);
                assertArrayEquals(alone.tokens()[0], batch.tokens()[b], s.getClass().getSimpleName() + " row " + b);
                TestModels.assertClose(alone.logProbs()[0], batch.logProbs()[b], 1e-4f, "row " + b);
            }
        }
        int[][] responses = {{3, 4, 5}, {6, 7, 8, 9, 10, 11}, {12}};
        Scoring.Scores together = Scoring.score(model, PROMPTS, responses, 1f, 0);
        for (int b = 0; b < PROMPTS.length; b++) {
            Scoring.Scores alone = Scoring.score(model, new int[][] {PROMPTS[b]}, new int[][] {responses[b]}, 1f, 0);
            TestModels.assertClose(alone.logProbs()[0], together.logProbs()[b], 1e-4f, "scored row " + b);
            TestModels.assertClose(alone.entropies()[0], together.entropies()[b], 1e-4f, "entropy row " + b);
        }
    }

    @Test
    void sameSeedSameSamplesAndTopKOneIsGreedy() {
        for (Sampler s : samplers()) {
            SamplingConfig cfg = new SamplingConfig(1f, 0, 1f, 10, 99, false);
            Generation a = s.generate(PROMPTS, cfg), b = s.generate(PROMPTS, cfg);
            Generation c = s.generate(PROMPTS, cfg.withSeed(100));
            boolean differs = false;
            for (int r = 0; r < PROMPTS.length; r++) {
                assertArrayEquals(a.tokens()[r], b.tokens()[r]);
                differs |= !java.util.Arrays.equals(a.tokens()[r], c.tokens()[r]);
            }
            assertTrue(differs, "another seed should give other samples");
            Generation greedy = s.generate(PROMPTS, SamplingConfig.greedy(10).withStopAtEos(false));
            Generation top1 = s.generate(PROMPTS, new SamplingConfig(1f, 1, 1f, 10, 3, false));
            Generation nucleus = s.generate(PROMPTS, new SamplingConfig(1f, 0, 1e-6f, 10, 3, false));
            for (int r = 0; r < PROMPTS.length; r++) {
                assertArrayEquals(greedy.tokens()[r], top1.tokens()[r], "top-k 1 is greedy");
                assertArrayEquals(greedy.tokens()[r], nucleus.tokens()[r], "a tiny top-p is greedy");
            }
        }
    }

    @Test
    void rowsStopAtTheirStopToken() {
        for (Sampler s : samplers()) {
            Generation free = s.generate(PROMPTS, new SamplingConfig(1.5f, 0, 1f, 40, 8, false));
            int[] stop = {free.tokens()[0][3]}; // a token row 0 is known to produce at its 4th step
            Sampler stopping = s instanceof JavaSampler ? new JavaSampler(model, stop, 0) : new TorchSampler(model, stop, 0);
            Generation g = stopping.generate(PROMPTS, new SamplingConfig(1.5f, 0, 1f, 40, 8, true));
            assertTrue(g.finished()[0]);
            assertTrue(g.tokens()[0].length <= 4);
            assertEquals(stop[0], g.tokens()[0][g.tokens()[0].length - 1]);
            for (int r = 0; r < PROMPTS.length; r++) {
                int n = g.tokens()[r].length;
                assertEquals(g.finished()[r], n > 0 && g.tokens()[r][n - 1] == stop[0]);
                if (!g.finished()[r]) assertEquals(40, n);
                for (int i = 0; i < n - 1; i++) assertFalse(g.tokens()[r][i] == stop[0], "nothing after the stop token");
            }
        }
    }
}
