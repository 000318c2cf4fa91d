package dev.tandem.feedback.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgreementTest {

    /** n copies of a label pair. */
    private static void add(List<String> a, List<String> b, String x, String y, int n) {
        for (int i = 0; i < n; i++) {
            a.add(x);
            b.add(y);
        }
    }

    @Test
    void cohenKappaTextbookExample() {
        // The classic 2x2 example (e.g. Wikipedia "Cohen's kappa"): 50 proposals, both yes 20, A yes/B no 5,
        // A no/B yes 10, both no 15. po = 35/50 = 0.7; A says yes 25/50, B says yes 30/50;
        // pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        add(a, b, "yes", "yes", 20);
        add(a, b, "yes", "no", 5);
        add(a, b, "no", "yes", 10);
        add(a, b, "no", "no", 15);
        assertEquals(0.7, Agreement.percentAgreement(a, b), 1e-12);
        assertEquals(0.4, Agreement.cohenKappa(a, b), 1e-12);
    }

    @Test
    void cohenKappaThreeCategoriesByHand() {
        // 10 items, labels a/b/c. Pairs: (a,a)x3 (b,b)x2 (c,c)x1 (a,b)x2 (b,c)x1 (c,a)x1.
        // po = 6/10. Rater 1: a5 b3 c2; rater 2: a4 b4 c2. pe = .5*.4 + .3*.4 + .2*.2 = .2 + .12 + .04 = .36.
        // kappa = (.6 - .36) / (1 - .36) = .24 / .64 = .375
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        add(a, b, "a", "a", 3);
        add(a, b, "b", "b", 2);
        add(a, b, "c", "c", 1);
        add(a, b, "a", "b", 2);
        add(a, b, "b", "c", 1);
        add(a, b, "c", "a", 1);
        assertEquals(0.375, Agreement.cohenKappa(a, b), 1e-12);
    }

    @Test
    void kappaEdgeCases() {
        assertEquals(1.0, Agreement.cohenKappa(List.of("x", "y"), List.of("x", "y")), 1e-12);
        assertEquals(-1.0, Agreement.cohenKappa(List.of("x", "y"), List.of("y", "x")), 1e-12);
        assertTrue(Double.isNaN(Agreement.cohenKappa(List.of("x", "x"), List.of("x", "x"))), "pe = 1");
        assertTrue(Double.isNaN(Agreement.cohenKappa(List.of(), List.of())));
        // missing labels are skipped
        assertEquals(1.0, Agreement.cohenKappa(Arrays.asList("x", null, "y"), Arrays.asList("x", "y", "y")), 1e-12);
        assertEquals(2.0 / 3, Agreement.percentAgreement(Arrays.asList("x", "y", "z", null), Arrays.asList("x", "y", "y", "q")), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Agreement.cohenKappa(List.of("x"), List.of()));
    }

    @Test
    void krippendorffAlphaSmallExampleByHand() {
        // Units: [a,a,a] [a,b,a] [b,b] [a,b].
        // Coincidences (each ordered pair weighted 1/(m-1)):
        //   u1: 6 a-a pairs * 1/2 -> o_aa += 3
        //   u2: a-a 2, a-b 2, b-a 2, each * 1/2 -> o_aa += 1, o_ab += 1, o_ba += 1
        //   u3: b-b 2 * 1 -> o_bb += 2
        //   u4: a-b 1, b-a 1 -> o_ab += 1, o_ba += 1
        // o_aa = 4, o_ab = o_ba = 2, o_bb = 2; n_a = 6, n_b = 4, n = 10.
        // alpha = 1 - (n-1) * (o_ab + o_ba) / (n_a n_b + n_b n_a) = 1 - 9 * 4 / 48 = 0.25
        List<List<String>> units = List.of(List.of("a", "a", "a"), List.of("a", "b", "a"), List.of("b", "b"), List.of("a", "b"));
        assertEquals(0.25, Agreement.krippendorffAlphaNominal(units), 1e-12);
    }

    @Test
    void krippendorffAlphaPublishedExample() {
        // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 coders x 12 units with missing
        // values; the nominal alpha reported there is 0.743. (Unit 12 has one value and is not pairable.)
        String[][] coders = {
            {"1", "2", "3", "3", "2", "1", "4", "1", "2", null, null, null},
            {"1", "2", "3", "3", "2", "2", "4", "1", "2", "5", null, "3"},
            {null, "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", null},
            {"1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", null},
        };
        List<List<String>> units = new ArrayList<>();
        for (int u = 0; u < 12; u++) {
            List<String> unit = new ArrayList<>();
            for (String[] c : coders) unit.add(c[u]);
            units.add(unit);
        }
        assertEquals(0.743, Agreement.krippendorffAlphaNominal(units), 0.0005);
    }

    @Test
    void alphaEdgeCases() {
        assertEquals(1.0, Agreement.krippendorffAlphaNominal(List.of(List.of("a", "a"), List.of("b", "b"))), 1e-12);
        assertTrue(Double.isNaN(Agreement.krippendorffAlphaNominal(List.of(List.of("a", "a")))), "no expected disagreement");
        assertTrue(Double.isNaN(Agreement.krippendorffAlphaNominal(List.of(List.of("a"), List.of("b")))), "nothing pairable");
    }

    @Test
    void meanPairwiseAgreement() {
        // [a,a,b]: pairs aa, ab, ab -> 1/3; [x,x]: 1; [z]: not pairable. Mean = (1/3 + 1) / 2 = 2/3
        assertEquals(2.0 / 3, Agreement.meanPairwiseAgreement(List.of(List.of("a", "a", "b"), List.of("x", "x"), List.of("z"))), 1e-12);
        assertTrue(Double.isNaN(Agreement.meanPairwiseAgreement(List.of(List.of("z")))));
    }

    @Test
    void medianOfDurations() {
        assertEquals(2.0, FeedbackStats.median(new double[] {3, 1, 2}), 1e-12);
        assertEquals(2.5, FeedbackStats.median(new double[] {4, 1, 2, 3}), 1e-12);
        assertTrue(Double.isNaN(FeedbackStats.median(new double[0])));
    }
}
