package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Calibration, Spearman and length-bias metrics against examples worked out by hand. */
class EvaluationTest {

    @Test
    void eceByHand() {
        // p(chosen) = 0.9, 0.8, 0.3, 0.6. Confidence = max(p, 1 − p) = 0.9, 0.8, 0.7, 0.6; correct = 1, 1, 0, 1.
        // bins of width 0.05 over [0.5, 1]: 0.6 → bin 2, 0.7 → bin 4, 0.8 → bin 6, 0.9 → bin 8; one each.
        // ECE = (|1 − 0.9| + |1 − 0.8| + |0 − 0.7| + |1 − 0.6|) / 4 = (0.1 + 0.2 + 0.7 + 0.4) / 4 = 0.35
        assertEquals(0.35, Evaluation.ece(new double[] {0.9, 0.8, 0.3, 0.6}), 1e-12);
        // two in one bin: p = 0.91, 0.93 (both correct) and 0.08 (confidence 0.92, wrong) share the bin [0.9, 0.95):
        // mean confidence 0.92, accuracy 2/3 → ECE = |2/3 − 0.92| = 0.25333…
        assertEquals(Math.abs(2.0 / 3 - 0.92), Evaluation.ece(new double[] {0.91, 0.93, 0.08}), 1e-12);
        // perfectly calibrated: four pairs at p = 0.75, three right (a model cannot see which) → one wrong at p 0.25
        assertEquals(0, Evaluation.ece(new double[] {0.75, 0.75, 0.75, 0.25}), 1e-12);
    }

    @Test
    void spearmanByHand() {
        // no ties: x = 1..5, y = 2, 1, 4, 3, 5 → d = (−1, 1, −1, 1, 0), Σd² = 4, ρ = 1 − 6·4 / (5·24) = 0.8
        assertEquals(0.8, Evaluation.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {2, 1, 4, 3, 5}), 1e-12);
        assertEquals(-1, Evaluation.spearman(new double[] {1, 2, 3}, new double[] {30, 20, 10}), 1e-12);
        // ties share the average rank: x = 1, 2, 2, 3 → ranks 1, 2.5, 2.5, 4
        assertEquals(List.of(1.0, 2.5, 2.5, 4.0),
                java.util.Arrays.stream(Evaluation.averageRanks(new double[] {1, 2, 2, 3})).boxed().toList());
        // with ties: x = (1, 2, 2, 3) ranks (1, 2.5, 2.5, 4); y = (1, 3, 2, 4) ranks (1, 3, 2, 4).
        // Pearson of the ranks: means 2.5; dx = (−1.5, 0, 0, 1.5), dy = (−1.5, 0.5, −0.5, 1.5);
        // Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → ρ = 4.5 / √(4.5·5) = 0.948683…
        assertEquals(4.5 / Math.sqrt(22.5), Evaluation.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 3, 2, 4}), 1e-12);
        assertTrue(Double.isNaN(Evaluation.spearman(new double[] {1, 1}, new double[] {1, 2})));
    }

    @Test
    void lengthBiasIsVisible() {
        // 4 pairs. Lengths (chosen, rejected): (10, 5), (3, 8), (6, 6), (2, 9); the model always rewards length.
        List<Evaluation.ScoredPair> scored = List.of(
                new Evaluation.ScoredPair(10, 5, 10, 5),
                new Evaluation.ScoredPair(3, 8, 3, 8),
                new Evaluation.ScoredPair(6, 6, 6, 6),
                new Evaluation.ScoredPair(2, 9, 2, 9));
        Evaluation.Report r = Evaluation.report(scored, 0, 1.0, new double[] {10, 5, 3, 8, 6, 2, 9});
        // accuracy: right, wrong, tie (half), wrong → 1.5 / 4
        assertEquals(0.375, r.accuracy(), 1e-12);
        // people chose the longer in 1 of 4 pairs, one tie in length → (1 + 0.5) / 4
        assertEquals(0.375, r.longerWins(), 1e-12);
        // the model prefers the longer in all 3 pairs of different length, half for the equal one → 3.5 / 4
        assertEquals(0.875, r.prefersLonger(), 1e-12);
        assertEquals(2, r.shorterChosenPairs());
        assertEquals(0, r.accuracyShorterChosen(), 1e-12);
        assertTrue(r.lengthBiased());
        // margin: (5 − 5 + 0 − 7) / 4
        assertEquals(-7.0 / 4, r.margin(), 1e-12);
        assertEquals(2, r.minReward());
        assertEquals(10, r.maxReward());

        // a model that rewards brevity where people did is not flagged
        List<Evaluation.ScoredPair> fair = List.of(new Evaluation.ScoredPair(1, 0, 10, 5), new Evaluation.ScoredPair(1, 0, 3, 8));
        assertFalse(Evaluation.report(fair, 0, 0.0, new double[] {1, 0}).lengthBiased());
    }
}
