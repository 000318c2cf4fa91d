package dev.tandem.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class WinRateTest {

    @Test
    void winsCountOneTiesHalfLossesZero() {
        // tuned vs original, pairwise by index: win, tie, loss, tie (0 vs -0), win
        WinRate w = WinRate.of(new double[] {1.0, 2.0, 3.0, 0.0, -1.0}, new double[] {0.5, 2.0, 4.0, -0.0, -2.5});
        assertEquals(2, w.wins());
        assertEquals(2, w.ties());
        assertEquals(1, w.losses());
        assertEquals(5, w.comparisons());
        assertEquals((2 + 0.5 * 2) / 5.0, w.rate(), 1e-12);
        // outcomes 1, ½, 0, ½, 1: mean 0.6, sample variance ((.4²+.1²+.6²+.1²+.4²)/4) = 0.175, se = sqrt(0.175/5)
        assertEquals(Math.sqrt(0.175 / 5), w.standardError(), 1e-12);
    }

    @Test
    void allTiesIsOneHalfAndClearRecordsAreZeroOrOne() {
        assertEquals(0.5, WinRate.of(new double[] {0, 0, 0}, new double[] {0, 0, 0}).rate());
        assertEquals(1.0, WinRate.of(new double[] {1, 2}, new double[] {0, 1}).rate());
        assertEquals(0.0, WinRate.of(new double[] {0, 1}, new double[] {1, 2}).rate());
        assertEquals(0.0, WinRate.of(new double[] {1, 2}, new double[] {0, 1}).standardError());
    }

    @Test
    void rejectsMismatchedEmptyAndNaN() {
        assertThrows(IllegalArgumentException.class, () -> WinRate.of(new double[] {1}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> WinRate.of(new double[0], new double[0]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WinRate.of(new double[] {1, Double.NaN}, new double[] {0, 0}));
        assertEquals("comparison 1 has a NaN score", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WinRate(-1, 0, 0));
    }
}
