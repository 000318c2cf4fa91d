package dev.tandem.rl;

/**
 * The KL coefficient β of PPO's penalty {@code −β·KL(π ‖ π_ref)}: fixed, or adapted towards a target KL as in
 * Ziegler et al. 2019 (§2.2): {@code e = clip(KL/target − 1, −0.2, 0.2)}, {@code β ← β·(1 + e·n/horizon)} after each
 * batch of n episodes.
 */
public sealed interface KlController permits KlController.Fixed, KlController.Adaptive {

    float beta();

    /** Updates β after a batch of {@code episodes} whose mean sequence KL was {@code kl}. */
    void update(double kl, int episodes);

    /** β at full precision, for checkpoints. */
    double state();

    /** Restores β from a checkpoint. */
    void restore(double beta);

    static KlController of(float initialBeta, Float targetKl, float horizon) {
        return targetKl == null ? new Fixed(initialBeta) : new Adaptive(initialBeta, targetKl, horizon);
    }

    final class Fixed implements KlController {
        private float beta;

        public Fixed(float beta) {
            if (!(beta >= 0)) throw new IllegalArgumentException("KL coefficient must be >= 0, got " + beta);
            this.beta = beta;
        }

        @Override public float beta() { return beta; }

        @Override public void update(double kl, int episodes) {}

        @Override public double state() { return beta; }

        @Override public void restore(double b) { this.beta = (float) b; }
    }

    final class Adaptive implements KlController {
        private double beta;
        private final double target, horizon;

        public Adaptive(float initialBeta, float target, float horizon) {
            if (!(initialBeta > 0)) throw new IllegalArgumentException("adaptive KL needs an initial β > 0, got " + initialBeta);
            if (!(target > 0)) throw new IllegalArgumentException("target KL must be > 0, got " + target);
            if (!(horizon > 0)) throw new IllegalArgumentException("KL horizon must be > 0, got " + horizon);
            this.beta = initialBeta;
            this.target = target;
            this.horizon = horizon;
        }

        @Override public float beta() { return (float) beta; }

        @Override
        public void update(double kl, int episodes) {
            double error = Math.max(-0.2, Math.min(0.2, kl / target - 1));
            beta *= 1 + error * episodes / horizon;
        }

        @Override public double state() { return beta; }

        @Override public void restore(double b) { this.beta = b; }
    }
}
