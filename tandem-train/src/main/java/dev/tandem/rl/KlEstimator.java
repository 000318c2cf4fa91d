package dev.tandem.rl;

import ai.djl.ndarray.NDArray;

/**
 * Per-token estimators of KL(policy ‖ reference) from a token sampled from the policy, with log-ratio
 * {@code d = log π(x) − log π_ref(x)} (Schulman, "Approximating KL divergence", 2020).
 *
 * <ul>
 *   <li>{@link #K1}: {@code d}. Unbiased, high variance, negative for single tokens the reference prefers.</li>
 *   <li>{@link #K3}: {@code (e^{−d} − 1) + d}. Unbiased and never negative.</li>
 * </ul>
 */
public enum KlEstimator {
    K1 {
        @Override
        public double of(double logp, double refLogp) {
            return logp - refLogp;
        }

        @Override
        public NDArray of(NDArray logp, NDArray refLogp) {
            return logp.sub(refLogp);
        }
    },
    K3 {
        @Override
        public double of(double logp, double refLogp) {
            double r = refLogp - logp;
            return Math.expm1(r) - r;
        }

        @Override
        public NDArray of(NDArray logp, NDArray refLogp) {
            NDArray r = refLogp.sub(logp);
            return r.exp().sub(1f).sub(r);
        }
    };

    /** The estimate for one token. */
    public abstract double of(double logp, double refLogp);

    /** Element-wise estimates (differentiable in {@code logp}). */
    public abstract NDArray of(NDArray logp, NDArray refLogp);

    /** {@code k1} or {@code k3}, case-insensitive. */
    public static KlEstimator parse(String s) {
        return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "k1" -> K1;
            case "k3" -> K3;
            default -> throw new IllegalArgumentException("unknown KL estimator '" + s + "': use k1 or k3");
        };
    }
}
