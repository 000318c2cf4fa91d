package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tandem.model.TensorEngine;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Losses against values worked out by hand, the tensor versions against the host ones, gradients by differences. */
class LossesTest {
    private static final LossConfig BT = LossConfig.defaults();
    private static final Comparison.Preferred PAIR = new Comparison.Preferred("p", "a", "b", 0);

    private static double loss(Comparison c, LossConfig cfg, double... r) {
        return Losses.loss(c, r, cfg, null);
    }

    @Test
    void bradleyTerryByHand() {
        // -log σ(2 − 1) = log(1 + e^{-1})
        assertEquals(Math.log(1 + Math.exp(-1)), loss(PAIR, BT, 2, 1), 1e-12);
        assertEquals(Math.log(2), loss(PAIR, BT, 0.3, 0.3), 1e-12);
        // a wrong order costs more: -log σ(-3) = log(1 + e^3)
        assertEquals(Math.log(1 + Math.exp(3)), loss(PAIR, BT, 0, 3), 1e-12);
        // no overflow far out
        assertEquals(1000, loss(PAIR, BT, -500, 500), 1e-9);
        assertEquals(0, loss(PAIR, BT, 500, -500), 1e-12);
    }

    @Test
    void marginFromStrength() {
        assertEquals(0, Comparison.margin(null, 1));
        assertEquals(1.0 / 3, Comparison.margin(dev.tandem.feedback.JudgementPayload.Strength.SLIGHTLY, 1), 1e-12);
        assertEquals(2.0, Comparison.margin(dev.tandem.feedback.JudgementPayload.Strength.MUCH, 2), 1e-12);
        // -log σ(d − m) with d = 1, m = 2/3: log(1 + e^{-1/3})
        var p = new Comparison.Preferred("p", "a", "b", 2.0 / 3);
        assertEquals(Math.log(1 + Math.exp(-1.0 / 3)), loss(p, BT, 1.5, 0.5), 1e-12);
    }

    @Test
    void raoKupperByHand() {
        double theta = 1.5;
        LossConfig rk = BT.withTies(LossConfig.TieModel.RAO_KUPPER, theta);
        // π_a = e^1, π_b = e^0: P(a ≻ b) = π_a / (π_a + θ π_b); P(tie) = (θ² − 1) π_a π_b / ((π_a + θ π_b)(π_b + θ π_a))
        double pa = Math.E, pb = 1;
        double win = pa / (pa + theta * pb);
        double tie = (theta * theta - 1) * pa * pb / ((pa + theta * pb) * (pb + theta * pa));
        assertEquals(-Math.log(win), loss(PAIR, rk, 1, 0), 1e-12);
        assertEquals(-Math.log(tie), loss(new Comparison.Tie("p", "a", "b"), rk, 1, 0), 1e-12);
        // the three outcomes add up to one
        double lose = pb / (pb + theta * pa);
        assertEquals(1, win + tie + lose, 1e-12);
        assertThrows(IllegalArgumentException.class, () -> BT.withTies(LossConfig.TieModel.RAO_KUPPER, 1.0));
    }

    @Test
    void davidsonByHand() {
        double nu = 0.5;
        LossConfig dv = BT.withTies(LossConfig.TieModel.DAVIDSON, nu);
        // π_a = e^2, π_b = e^1: P(a ≻ b) = π_a / (π_a + π_b + ν √(π_a π_b)), P(tie) = ν √(π_a π_b) / (same)
        double pa = Math.exp(2), pb = Math.exp(1), z = pa + pb + nu * Math.sqrt(pa * pb);
        assertEquals(-Math.log(pa / z), loss(PAIR, dv, 2, 1), 1e-12);
        assertEquals(-Math.log(nu * Math.sqrt(pa * pb) / z), loss(new Comparison.Tie("p", "a", "b"), dv, 2, 1), 1e-12);
        assertEquals(-Math.log(pb / z), loss(PAIR, dv, 1, 2), 1e-12);
    }

    @Test
    void plackettLuceByHandAndAgainstAllPairs() {
        // ranking a > b > c with rewards 3, 1, 0:
        // P = e^3/(e^3+e^1+e^0) · e^1/(e^1+e^0)
        var k = new Comparison.Ranking("p", List.of("a", "b", "c"), new int[] {0, 1, 2});
        double expected = -Math.log(Math.exp(3) / (Math.exp(3) + Math.E + 1) * Math.E / (Math.E + 1));
        assertEquals(expected, loss(k, BT, 3, 1, 0), 1e-12);
        // ranks need not be in response order: c > a > b with rewards (a=1, b=0, c=3) is the same likelihood
        var shuffled = new Comparison.Ranking("p", List.of("a", "b", "c"), new int[] {1, 2, 0});
        assertEquals(expected, loss(shuffled, BT, 1, 0, 3), 1e-12);
        // a ranking of two is exactly a Bradley-Terry pair
        var two = new Comparison.Ranking("p", List.of("a", "b"), new int[] {0, 1});
        assertEquals(loss(PAIR, BT, 0.7, -0.2), loss(two, BT, 0.7, -0.2), 1e-12);
        // ties share denominators (Breslow): a = b > c, rewards 1, 1, 0:
        // terms: a: 1 − log(e+e+1); b: same; c: 0 − log(1) = 0
        var tied = new Comparison.Ranking("p", List.of("a", "b", "c"), new int[] {0, 0, 1});
        assertEquals(-2 * (1 - Math.log(2 * Math.E + 1)), loss(tied, BT, 1, 1, 0), 1e-12);

        // all-pairs expansion of a > b > c gives three BT pairs; their total differs from PL
        var records = List.<dev.tandem.feedback.io.PreferenceRecord>of(new dev.tandem.feedback.io.PreferenceRecord.Ranked(
                "p", List.of("a", "b", "c"), List.of(0, 1, 2), null, new dev.tandem.feedback.io.SourceRef("f", 1, null)));
        var pairs = Comparison.expand(records, BT.withRankings(LossConfig.RankingLoss.ALL_PAIRS)).comparisons();
        assertEquals(3, pairs.size());
        double[] r = {3, 1, 0};
        double sum = 0;
        for (Comparison c : pairs) {
            var p = (Comparison.Preferred) c;
            sum += loss(p, BT, r[p.chosen().charAt(0) - 'a'], r[p.rejected().charAt(0) - 'a']);
        }
        double byHand = Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(-3)) + Math.log(1 + Math.exp(-1));
        assertEquals(byHand, sum, 1e-12);
        var pl = Comparison.expand(records, BT).comparisons();
        assertEquals(1, pl.size());
        assertEquals(expected, loss(pl.get(0), BT, r), 1e-12);
    }

    @Test
    void tiesAreDroppedOrKept() {
        var rec = new dev.tandem.feedback.io.PreferenceRecord.Ranked("p", List.of("a", "b", "c"), List.of(0, 0, 1), null,
                new dev.tandem.feedback.io.SourceRef("f", 1, null));
        var dropped = Comparison.expand(List.of(rec), BT.withRankings(LossConfig.RankingLoss.ALL_PAIRS));
        assertEquals(2, dropped.comparisons().size());
        assertEquals(1, dropped.droppedTies());
        var kept = Comparison.expand(List.of(rec), BT.withRankings(LossConfig.RankingLoss.ALL_PAIRS)
                .withTies(LossConfig.TieModel.DAVIDSON, 0.5));
        assertEquals(3, kept.comparisons().size());
        assertEquals(1, kept.comparisons().stream().filter(c -> c instanceof Comparison.Tie).count());
    }

    @Test
    void centringAddsTheSquaredSum() {
        // TRL: loss += c · mean((r_c + r_r)²); for one pair with c = 0.01, rewards 2 and 1: + 0.01 · 9
        LossConfig c = BT.withCenterCoefficient(0.01);
        assertEquals(Math.log(1 + Math.exp(-1)) + 0.09, loss(PAIR, c, 2, 1), 1e-12);
    }

    @Test
    void ratingsByHand() {
        LossConfig ord = BT, reg = BT.withRatings(LossConfig.RatingLoss.REGRESSION);
        // regression on score − 4: score 6, reward 1.5 → (1.5 − 2)² = 0.25
        assertEquals(0.25, loss(new Comparison.Rated("p", "a", 6), reg, 1.5), 1e-12);
        // ordinal, cut points c_k = k − 3.5: score 4 at reward 0 has P = σ(0.5) − σ(−0.5)
        double p4 = 1 / (1 + Math.exp(-0.5)) - 1 / (1 + Math.exp(0.5));
        assertEquals(-Math.log(p4), loss(new Comparison.Rated("p", "a", 4), ord, 0), 1e-12);
        // score 1 at reward −1: P = σ(c_1 − r) = σ(−2.5 + 1)
        assertEquals(-Math.log(1 / (1 + Math.exp(1.5))), loss(new Comparison.Rated("p", "a", 1), ord, -1), 1e-12);
        // score 7 at reward 3: P = 1 − σ(c_6 − r) = σ(3 − 2.5)
        assertEquals(-Math.log(1 / (1 + Math.exp(-0.5))), loss(new Comparison.Rated("p", "a", 7), ord, 3), 1e-12);
        // the seven probabilities at any reward sum to one
        double sum = 0;
        for (int s = 1; s <= 7; s++) sum += Math.exp(-loss(new Comparison.Rated("p", "a", s), ord, 0.7));
        assertEquals(1, sum, 1e-12);
        // centring leaves single ratings alone
        assertEquals(0.25, loss(new Comparison.Rated("p", "a", 6), reg.withCenterCoefficient(1), 1.5), 1e-12);
    }

    @Test
    void hostGradientsMatchFiniteDifferences() {
        List<Comparison> cases = List.of(PAIR, new Comparison.Preferred("p", "a", "b", 0.5),
                new Comparison.Tie("p", "a", "b"),
                new Comparison.Ranking("p", List.of("a", "b", "c", "d"), new int[] {2, 0, 1, 1}),
                new Comparison.Rated("p", "a", 1), new Comparison.Rated("p", "a", 3), new Comparison.Rated("p", "a", 7));
        List<LossConfig> cfgs = List.of(BT.withCenterCoefficient(0.05), BT.withTies(LossConfig.TieModel.RAO_KUPPER, 2),
                BT.withTies(LossConfig.TieModel.DAVIDSON, 0.7).withRatings(LossConfig.RatingLoss.REGRESSION));
        for (LossConfig cfg : cfgs) {
            for (Comparison c : cases) {
                if (c instanceof Comparison.Tie && cfg.ties() == LossConfig.TieModel.DROP) continue;
                double[] r = new double[c.responses().size()];
                for (int i = 0; i < r.length; i++) r[i] = 0.3 * i - 0.4 + 0.1 * i * i;
                double[] g = new double[r.length];
                Losses.loss(c, r, cfg, g);
                for (int i = 0; i < r.length; i++) {
                    double h = 1e-6;
                    double[] up = r.clone(), down = r.clone();
                    up[i] += h;
                    down[i] -= h;
                    double numeric = (loss(c, cfg, up) - loss(c, cfg, down)) / (2 * h);
                    assertEquals(numeric, g[i], 1e-6, c + " " + cfg + " reward " + i);
                }
            }
        }
    }

    @Test
    void tensorLossesMatchHostLossesAndGradients() {
        TensorEngine.start();
        List<Comparison> batch = List.of(PAIR, new Comparison.Preferred("p", "c", "d", 2.0 / 3),
                new Comparison.Ranking("p", List.of("a", "b", "c"), new int[] {1, 0, 2}),
                new Comparison.Tie("p", "x", "y"),
                new Comparison.Ranking("p", List.of("a", "b", "c", "d"), new int[] {0, 1, 1, 2}),
                new Comparison.Rated("p", "a", 1), new Comparison.Rated("p", "b", 5), new Comparison.Rated("p", "c", 7));
        double[] rewards = {0.5, -0.25, 1.5, 0.1, 0.2, -0.7, 0.9, 0.3, 0.35, -1.1, 0.05, 0.6, 0.0, -2.0, 1.2, 2.9};
        for (LossConfig cfg : List.of(BT.withTies(LossConfig.TieModel.RAO_KUPPER, 1.5).withCenterCoefficient(0.01),
                BT.withTies(LossConfig.TieModel.DAVIDSON, 0.5).withRatings(LossConfig.RatingLoss.REGRESSION))) {
            double expected = 0;
            double[] grad = new double[rewards.length];
            int off = 0;
            for (Comparison c : batch) {
                int k = c.responses().size();
                double[] g = new double[k];
                expected += Losses.loss(c, java.util.Arrays.copyOfRange(rewards, off, off + k), cfg, g);
                for (int i = 0; i < k; i++) grad[off + i] = g[i] / batch.size();
                off += k;
            }
            expected /= batch.size();
            try (NDManager m = NDManager.newBaseManager()) {
                float[] rf = new float[rewards.length];
                for (int i = 0; i < rf.length; i++) rf[i] = (float) rewards[i];
                NDArray r = m.create(rf);
                r.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = TensorLosses.meanLoss(r, batch, cfg);
                    assertEquals(expected, loss.getFloat(), 1e-5, cfg.toString());
                    gc.backward(loss);
                }
                float[] g = r.getGradient().toFloatArray();
                for (int i = 0; i < g.length; i++) assertEquals(grad[i], g[i], 1e-5, "gradient of reward " + i + " " + cfg);
            }
        }
    }

    @Test
    void tiesNeedATieModel() {
        TensorEngine.start();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray r = m.create(new float[] {1, 2});
            assertThrows(IllegalArgumentException.class,
                    () -> TensorLosses.meanLoss(r, List.of(new Comparison.Tie("p", "a", "b")), BT));
        }
    }
}
