package dev.tandem.rl;

import ai.djl.ndarray.NDArray;

/**
 * Masked reductions over padded [B, T] arrays (mask 1 for real tokens, 0 for padding), as TRL's
 * {@code masked_mean}, {@code masked_var} and {@code whiten}. Host versions work on ragged rows.
 */
public final class Masked {
    private Masked() {}

    /** Σ x·mask / Σ mask, a scalar. */
    public static NDArray mean(NDArray x, NDArray mask) {
        return x.mul(mask).sum().div(mask.sum());
    }

    /** Mean of ragged rows. */
    public static double mean(float[][] x) {
        double s = 0;
        long n = 0;
        for (float[] row : x) {
            for (float v : row) s += v;
            n += row.length;
        }
        return n == 0 ? 0 : s / n;
    }

    /** Variance of ragged rows, with Bessel's correction when {@code unbiased} (and more than one value). */
    public static double variance(float[][] x, boolean unbiased) {
        double mean = mean(x), s = 0;
        long n = 0;
        for (float[] row : x) {
            for (float v : row) s += (v - mean) * (v - mean);
            n += row.length;
        }
        if (n == 0) return 0;
        double var = s / n;
        return unbiased && n > 1 ? var * n / (n - 1) : var;
    }

    /**
     * Whitening of ragged rows: {@code (x − mean)/sqrt(var + 1e-8)} with the unbiased variance over all values;
     * with {@code shiftMean = false} the mean is added back (only the scale changes).
     */
    public static float[][] whiten(float[][] x, boolean shiftMean) {
        double mean = mean(x), var = variance(x, true);
        double inv = 1.0 / Math.sqrt(var + 1e-8);
        float[][] out = new float[x.length][];
        for (int b = 0; b < x.length; b++) {
            out[b] = new float[x[b].length];
            for (int t = 0; t < x[b].length; t++) {
                double w = (x[b][t] - mean) * inv;
                out[b][t] = (float) (shiftMean ? w : w + mean);
            }
        }
        return out;
    }
}
