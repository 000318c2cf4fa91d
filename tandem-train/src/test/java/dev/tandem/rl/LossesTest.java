package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tandem.model.TensorEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every loss and estimator against numbers worked out by hand (the arithmetic is in the comments), including the
 * gradients that make clipping bite.
 */
class LossesTest {
    static NDManager m;
    static final float LN1_5 = (float) Math.log(1.5), LN0_5 = (float) Math.log(0.5), LN1_1 = (float) Math.log(1.1),
            LN1_25 = (float) Math.log(1.25);

    @BeforeAll
    static void start() {
        TensorEngine.start();
        m = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        m.close();
    }

    static NDArray a(float[] v, int rows) {
        return m.create(v, new Shape(rows, v.length / rows));
    }

    // ------------------------------------------------------------------------------------------------------------
    // PPO

    // Two rows of 4 tokens, clip ε = 0.2, old log-probs 0 (so ratio = exp(new)). Masked tokens hold garbage.
    //   r0t0 ratio 1.5,  A= 2: −A·r = −3,   −A·clip = −2.4  → max −2.4 (clipped)
    //   r0t1 ratio 0.5,  A= 2: −1,          −1.6           → −1
    //   r0t2 ratio 1.1,  A=−1: 1.1,         1.1            → 1.1
    //   r1t0 ratio 0.5,  A=−1: 0.5,         0.8            → 0.8  (clipped)
    //   r1t1 ratio 1.25, A=−1: 1.25,        1.2            → 1.25
    //   loss = (−2.4 − 1 + 1.1 + 0.8 + 1.25)/5 = −0.25/5 = −0.05; clip fraction 2/5
    //   approx KL = ½·mean(Δ²) = ½·(0.1644020 + 0.4804530 + 0.0090840 + 0.4804530 + 0.0497931)/5 = 0.1184185
    //   mean ratio = (1.5 + 0.5 + 1.1 + 0.5 + 1.25)/5 = 0.97
    static final float[] NEW = {LN1_5, LN0_5, LN1_1, 3f, LN0_5, LN1_25, 7f, -2f};
    static final float[] ADV = {2, 2, -1, 100, -1, -1, 50, 9};
    static final float[] MASK = {1, 1, 1, 0, 1, 1, 0, 0};

    @Test
    void ppoSurrogateMatchesHandComputation() {
        try (NDManager s = m.newSubManager()) {
            NDArray logp = a(NEW, 2);
            logp.attach(s);
            PpoLoss.PolicyTerms t = PpoLoss.policy(logp, m.zeros(new Shape(2, 4)), a(ADV, 2), a(MASK, 2), 0.2f);
            assertEquals(-0.05f, t.loss().getFloat(), 1e-6f);
            assertEquals(0.4f, t.clipFrac().getFloat(), 1e-6f);
            assertEquals(0.1184185f, t.approxKl().getFloat(), 1e-6f);
            assertEquals(0.97f, t.ratioMean().getFloat(), 1e-6f);
        }
    }

    @Test
    void ppoSurrogateGradientIsZeroWhereClipped() {
        // d/dlogp of −A·ratio/5 is −A·ratio/5 on unclipped tokens, 0 on clipped and masked ones:
        //   r0: [0, −2·0.5/5 = −0.2, 1·1.1/5 = 0.22, 0]   r1: [0, 1·1.25/5 = 0.25, 0, 0]
        NDArray logp = a(NEW, 2);
        logp.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(PpoLoss.policy(logp, m.zeros(new Shape(2, 4)), a(ADV, 2), a(MASK, 2), 0.2f).loss());
        }
        assertArrayEquals(new float[] {0, -0.2f, 0.22f, 0, 0, 0.25f, 0, 0}, logp.getGradient().toFloatArray(), 1e-6f);
    }

    @Test
    void ppoValueLossClipsAroundOldValues() {
        // clip 0.2, returns R, mask drops the last token:
        //   V=1.0 old 0.9 R=2: clip(V)=1.0 (inside [0.7,1.1]); (V−R)²=1,    (Vc−R)²=1    → 1
        //   V=0.5 old 0.9 R=0: clip(V)=0.7;                    0.25,         0.49         → 0.49 (clipped)
        //   V=1.5 old 1.0 R=2: clip(V)=1.2;                    0.25,         0.64         → 0.64 (clipped)
        //   V=2.0 old 2.0 R=1: masked
        //   loss = ½·(1 + 0.49 + 0.64)/3 = 0.355; clip fraction 2/3
        NDArray v = a(new float[] {1.0f, 0.5f, 1.5f, 9f}, 1);
        v.setRequiresGradient(true);
        PpoLoss.ValueTerms t;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            t = PpoLoss.value(v, a(new float[] {0.9f, 0.9f, 1.0f, 2f}, 1), a(new float[] {2, 0, 2, 1}, 1),
                    a(new float[] {1, 1, 1, 0}, 1), 0.2f);
            gc.backward(t.loss());
        }
        assertEquals(0.355f, t.loss().getFloat(), 1e-6f);
        assertEquals(2f / 3, t.clipFrac().getFloat(), 1e-6f);
        // gradient: unclipped branch wins at t0: (V−R)/3 = −1/3; t1, t2 take the clipped branch (constant in V): 0
        assertArrayEquals(new float[] {-1f / 3, 0, 0, 0}, v.getGradient().toFloatArray(), 1e-6f);
    }

    // ------------------------------------------------------------------------------------------------------------
    // KL estimators

    @Test
    void klEstimatorsMatchHandValues() {
        // logp −1, ref −2: d = 1 → k1 = 1, k3 = (e^−1 − 1) + 1 = 0.3678794
        // logp −2, ref −1: d = −1 → k1 = −1, k3 = (e^1 − 1) − 1 = 0.7182818
        assertEquals(1.0, KlEstimator.K1.of(-1, -2), 1e-12);
        assertEquals(-1.0, KlEstimator.K1.of(-2, -1), 1e-12);
        assertEquals(0.3678794, KlEstimator.K3.of(-1, -2), 1e-7);
        assertEquals(0.7182818, KlEstimator.K3.of(-2, -1), 1e-7);
        assertEquals(0.0, KlEstimator.K3.of(-1.5, -1.5), 0);
        NDArray logp = a(new float[] {-1, -2}, 1), ref = a(new float[] {-2, -1}, 1);
        assertArrayEquals(new float[] {1, -1}, KlEstimator.K1.of(logp, ref).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0.3678794f, 0.7182818f}, KlEstimator.K3.of(logp, ref).toFloatArray(), 1e-6f);
        assertEquals(KlEstimator.K3, KlEstimator.parse(" K3 "));
        assertThrows(IllegalArgumentException.class, () -> KlEstimator.parse("k2"));
    }

    // ------------------------------------------------------------------------------------------------------------
    // GAE, whitening

    @Test
    void gaeMatchesHandRecursion() {
        // γ = 0.9, λ = 0.8 (γλ = 0.72), rewards [1, 0, 2], values [0.5, 1.0, 1.5], V after the end = 0:
        //   δ2 = 2 − 1.5 = 0.5                    A2 = 0.5
        //   δ1 = 0 + 0.9·1.5 − 1.0 = 0.35         A1 = 0.35 + 0.72·0.5  = 0.71
        //   δ0 = 1 + 0.9·1.0 − 0.5 = 1.4          A0 = 1.4 + 0.72·0.71  = 1.9112
        //   returns = A + V = [2.4112, 1.71, 2.0]
        // a second row of one token: r = −1, V = 0.25 → A = −1.25, return −1
        Gae.Result r = Gae.compute(new float[][] {{1, 0, 2}, {-1}}, new float[][] {{0.5f, 1.0f, 1.5f}, {0.25f}}, 0.9f, 0.8f);
        assertArrayEquals(new float[] {1.9112f, 0.71f, 0.5f}, r.advantages()[0], 1e-6f);
        assertArrayEquals(new float[] {2.4112f, 1.71f, 2.0f}, r.returns()[0], 1e-6f);
        assertArrayEquals(new float[] {-1.25f}, r.advantages()[1], 1e-6f);
        assertArrayEquals(new float[] {-1f}, r.returns()[1], 1e-6f);
        // γ = λ = 1: the return is the sum of future rewards, whatever the values
        Gae.Result mc = Gae.compute(new float[][] {{1, 0, 2}}, new float[][] {{0.5f, 1.0f, 1.5f}}, 1f, 1f);
        assertArrayEquals(new float[] {3, 2, 2}, mc.returns()[0], 1e-6f);
    }

    @Test
    void whiteningUsesAllTokensOfRaggedRows() {
        // [[1, 2], [3]]: mean 2, unbiased variance (1 + 0 + 1)/2 = 1 → [[−1, 0], [1]]
        float[][] w = Masked.whiten(new float[][] {{1, 2}, {3}}, true);
        assertArrayEquals(new float[] {-1, 0}, w[0], 1e-6f);
        assertArrayEquals(new float[] {1}, w[1], 1e-6f);
        float[][] scaled = Masked.whiten(new float[][] {{1, 2}, {3}}, false);
        assertArrayEquals(new float[] {1, 2}, scaled[0], 1e-6f);
        // masked mean on arrays: (1·1 + 2·1 + 9·0)/2 = 1.5
        assertEquals(1.5f, Masked.mean(a(new float[] {1, 2, 9}, 1), a(new float[] {1, 1, 0}, 1)).getFloat(), 1e-7f);
    }

    // ------------------------------------------------------------------------------------------------------------
    // DPO, IPO

    // β = 0.1. Pair 1: policy (−10, −12), reference (−11, −11): h = (−10+11) − (−12+11) = 2, βh = 0.2,
    //   loss = log(1 + e^−0.2) = 0.5981389. Pair 2: policy (−5, −4), reference (−5, −5): h = 0 − 1 = −1, βh = −0.1,
    //   loss = log(1 + e^0.1) = 0.7443967. Mean 0.6712678.
    //   Implicit rewards: chosen β·(π−ref) = [0.1, 0], rejected [−0.1, 0.1]; accuracies [1, 0].
    static final float[] PC = {-10, -5}, PR = {-12, -4}, RC = {-11, -5}, RR = {-11, -5};

    @Test
    void dpoSigmoidLossMatchesHandValues() {
        NDArray pc = a(PC, 1).reshape(2);
        pc.setRequiresGradient(true);
        PreferenceLoss.Terms t;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            t = PreferenceLoss.compute(PreferenceLoss.Kind.SIGMOID, pc, a(PR, 1).reshape(2), a(RC, 1).reshape(2),
                    a(RR, 1).reshape(2), 0.1f, 0f);
            gc.backward(t.loss());
        }
        assertEquals(0.6712678f, t.loss().getFloat(), 1e-6f);
        assertArrayEquals(new float[] {0.1f, 0f}, t.chosen().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {-0.1f, 0.1f}, t.rejected().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {1f, 0f}, t.accuracies().toFloatArray());
        // d/dπ_c of −log σ(βh)/2 = −β(1 − σ(βh))/2: pair 1 σ(0.2) = 0.5498340 → −0.0225083;
        // pair 2 σ(−0.1) = 0.4750208 → −0.0262490
        assertArrayEquals(new float[] {-0.0225083f, -0.0262490f}, pc.getGradient().toFloatArray(), 1e-6f);
    }

    @Test
    void dpoLabelSmoothingAndIpoMatchHandValues() {
        // s = 0.1, pair 1: 0.9·log(1 + e^−0.2) + 0.1·log(1 + e^0.2) = 0.9·0.5981389 + 0.1·0.7981389 = 0.6181389
        //        pair 2: 0.9·log(1 + e^0.1) + 0.1·log(1 + e^−0.1) = 0.9·0.7443967 + 0.1·0.6443967 = 0.7343967
        PreferenceLoss.Terms smooth = PreferenceLoss.compute(PreferenceLoss.Kind.SIGMOID, a(PC, 1).reshape(2),
                a(PR, 1).reshape(2), a(RC, 1).reshape(2), a(RR, 1).reshape(2), 0.1f, 0.1f);
        assertEquals((0.6181389f + 0.7343967f) / 2, smooth.loss().getFloat(), 1e-6f);
        // IPO with β = 0.1: target margin 1/(2β) = 5; (2 − 5)² = 9, (−1 − 5)² = 36 → 22.5
        PreferenceLoss.Terms ipo = PreferenceLoss.compute(PreferenceLoss.Kind.IPO, a(PC, 1).reshape(2),
                a(PR, 1).reshape(2), a(RC, 1).reshape(2), a(RR, 1).reshape(2), 0.1f, 0f);
        assertEquals(22.5f, ipo.loss().getFloat(), 1e-5f);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Group baselines

    @Test
    void grpoAdvantagesMatchHandValues() {
        // group [1, 2, 3]: mean 2, sample std 1 → [−1, 0, 1]; group [5, 5, 5]: all 0 (no spread)
        float[] adv = GroupAdvantages.grpo(new float[] {1, 2, 3, 5, 5, 5}, 3, true, 1e-4f);
        assertArrayEquals(new float[] {-1 / 1.0001f, 0, 1 / 1.0001f, 0, 0, 0}, adv, 1e-6f);
        assertEquals(0.5, GroupAdvantages.zeroSpreadFraction(new float[] {1, 2, 3, 5, 5, 5}, 3), 0);
        // group [0, 0, 1, 1]: mean 0.5, sample variance 4·0.25/3 = 1/3, std 0.5773503 → ±0.8660254
        float[] adv4 = GroupAdvantages.grpo(new float[] {0, 0, 1, 1}, 4, true, 0f);
        assertArrayEquals(new float[] {-0.8660254f, -0.8660254f, 0.8660254f, 0.8660254f}, adv4, 1e-6f);
        // without std scaling (Dr. GRPO) only the mean is removed
        assertArrayEquals(new float[] {-0.5f, -0.5f, 0.5f, 0.5f}, GroupAdvantages.grpo(new float[] {0, 0, 1, 1}, 4, false, 0f));
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.grpo(new float[] {1, 2, 3}, 2, true, 0f));
    }

    @Test
    void rlooLeavesOneOut() {
        // [1, 2, 3]: baselines (2+3)/2 = 2.5, (1+3)/2 = 2, (1+2)/2 = 1.5 → [−1.5, 0, 1.5]
        // [4, 0]:    baselines 0 and 4 → [4, −4]
        assertArrayEquals(new float[] {-1.5f, 0, 1.5f}, GroupAdvantages.rloo(new float[] {1, 2, 3}, 3), 1e-6f);
        assertArrayEquals(new float[] {4, -4}, GroupAdvantages.rloo(new float[] {4, 0}, 2), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.rloo(new float[] {1, 2}, 1));
    }

    // ------------------------------------------------------------------------------------------------------------
    // KL coefficient, reward moments

    @Test
    void adaptiveKlFollowsZieglersController() {
        // β = 0.1, target 6, horizon 10000, 256 episodes a batch:
        //   KL 12  → e = clip(1, ±0.2) = 0.2     → β·(1 + 0.2·256/10000)  = 0.1·1.00512 = 0.100512
        //   KL 3   → e = clip(−0.5) = −0.2       → 0.100512·0.99488      = 0.1000 (0.09999737)
        //   KL 6.6 → e = 0.1                     → ·1.00256              = 0.1002534
        KlController c = KlController.of(0.1f, 6f, 10000f);
        c.update(12, 256);
        assertEquals(0.100512f, c.beta(), 1e-7f);
        c.update(3, 256);
        assertEquals(0.09999737f, c.beta(), 1e-7f);
        c.update(6.6, 256);
        assertEquals(0.1002534f, c.beta(), 1e-7f);
        KlController fixed = KlController.of(0.05f, null, 1f);
        fixed.update(100, 256);
        assertEquals(0.05f, fixed.beta());
    }

    @Test
    void runningMomentsMergeBatches() {
        // [1, 2, 3] then [4, 5] = [1..5]: mean 3, population variance 2, sample std √2.5 = 1.5811388
        RunningMoments r = new RunningMoments();
        r.update(new float[] {1, 2, 3});
        r.update(new float[] {4, 5});
        assertEquals(3.0, r.mean(), 1e-12);
        assertEquals(2.0, r.variance(), 1e-12);
        assertEquals(1.5811388, r.std(), 1e-7);
        assertEquals(5.0, r.count(), 0);
    }

    // ------------------------------------------------------------------------------------------------------------
    // GRPO and RLOO losses

    @Test
    void grpoLossMatchesHandValues() {
        // ε = 0.2, β = 0.1, old log-probs 0. Row 0 (A = 1, two tokens), row 1 (A = −2, one token, then padding).
        //   r0t0: ratio 1.5, ref 0:      −min(1.5, 1.2) = −1.2 (clipped); k3 = e^−ln1.5 + ln1.5 − 1 = 0.0721318
        //   r0t1: ratio 1,   ref ln 0.5: −1;                               k3 = 0.5 + ln2 − 1 = 0.1931472
        //   r1t0: ratio 0.5, ref 0:      −min(−1, −1.6) = 1.6 (clipped);  k3 = 2 − ln2 − 1 = 0.3068528
        //   per token −surrogate + β·k3: −1.1927868, −0.9806853, 1.6306853
        //   per sequence means: −1.0867361 and 1.6306853 → loss 0.2719746; clip fraction 2/3
        //   mean k3 0.1907106; approx KL ½·(ln²1.5 + 0 + ln²0.5)/3 = 0.1074758; mean ratio (1.5 + 1 + 0.5)/3 = 1
        NDArray logp = a(new float[] {LN1_5, 0, LN0_5, 5f}, 2);
        logp.setRequiresGradient(true);
        GroupLoss.Terms t;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            t = GroupLoss.grpo(logp, m.zeros(new Shape(2, 2)), a(new float[] {0, LN0_5, 0, 0}, 2),
                    m.create(new float[] {1, -2}), a(new float[] {1, 1, 1, 0}, 2), 0.2f, 0.1f);
            gc.backward(t.loss());
        }
        assertEquals(0.2719746f, t.loss().getFloat(), 1e-6f);
        assertEquals(2f / 3, t.clipFrac().getFloat(), 1e-6f);
        assertEquals(0.1907106f, t.kl().getFloat(), 1e-6f);
        assertEquals(0.1074758f, t.approxKl().getFloat(), 1e-6f);
        assertEquals(1f, t.ratioMean().getFloat(), 1e-6f);
        // gradients: clipped tokens keep only β·dk3/dlogp = β·(1 − e^(ref−logp)), scaled by 1/(tokens · rows):
        //   r0t0: 0.1·(1 − 2/3)/4 = 0.0083333;   r0t1: (−A·ratio + 0.1·(1 − 0.5))/4 = (−1 + 0.05)/4 = −0.2375
        //   r1t0: 0.1·(1 − 2)/2 = −0.05;          r1t1: padding, 0
        assertArrayEquals(new float[] {0.0083333f, -0.2375f, -0.05f, 0}, logp.getGradient().toFloatArray(), 1e-6f);
    }

    @Test
    void rlooLossUsesSequenceRatios() {
        // sequence ratios exp(Σ new − Σ old): 1.5 (A = 1), 0.5 (A = −2), 1.1 (A = 3); ε = 0.2
        //   max(−1.5, −1.2) = −1.2 (clipped), max(1, 1.6) = 1.6 (clipped), max(−3.3, −3.3) = −3.3
        //   loss = (−1.2 + 1.6 − 3.3)/3 = −0.9666667; clip fraction 2/3
        //   approx KL ½·(ln²1.5 + ln²0.5 + ln²1.1)/3 = 0.1089898; mean ratio 3.1/3 = 1.0333333
        // each row's log-prob is split over two tokens (padding ignored) to check the sums
        float h15 = LN1_5 / 2;
        NDArray logp = a(new float[] {h15, h15, LN0_5, 9f, LN1_1, 0}, 3);
        GroupLoss.Terms t = GroupLoss.rloo(logp, m.zeros(new Shape(3, 2)), m.create(new float[] {1, -2, 3}),
                a(new float[] {1, 1, 1, 0, 1, 1}, 3), 0.2f);
        assertEquals(-0.9666667f, t.loss().getFloat(), 1e-6f);
        assertEquals(2f / 3, t.clipFrac().getFloat(), 1e-6f);
        assertEquals(0.1089898f, t.approxKl().getFloat(), 1e-6f);
        assertEquals(1.0333333f, t.ratioMean().getFloat(), 1e-6f);
    }
}
