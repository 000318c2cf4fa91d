package dev.tandem.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/** The draw shared by both samplers, so the same probabilities and random stream give the same token. */
final class Sampling {
    private Sampling() {}

    /**
     * Draws an index from unnormalised probabilities {@code p} (summing to {@code sum}), keeping only the top-k
     * and the top-p nucleus when the config asks for them.
     */
    static int draw(float[] p, double sum, SamplingConfig cfg, SplittableRandom rnd) {
        double u = rnd.nextDouble();
        int n = p.length;
        if (cfg.topK() == 0 && cfg.topP() >= 1f) {
            double target = u * sum, cdf = 0;
            for (int i = 0; i < n; i++) {
                cdf += p[i];
                if (target < cdf) return i;
            }
            return lastNonZero(p);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
        int keep = cfg.topK() == 0 ? n : Math.min(cfg.topK(), n);
        double mass = 0;
        int kept = 0;
        while (kept < keep) {
            mass += p[order[kept]];
            kept++;
            if (mass >= cfg.topP() * sum) break;
        }
        double target = u * mass, cdf = 0;
        for (int i = 0; i < kept; i++) {
            cdf += p[order[i]];
            if (target < cdf) return order[i];
        }
        return order[kept - 1];
    }

    private static int lastNonZero(float[] p) {
        for (int i = p.length - 1; i >= 0; i--) if (p[i] > 0) return i;
        return 0;
    }
}
