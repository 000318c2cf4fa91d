package dev.tandem.train;

/** Learning-rate schedules. */
public final class Schedules {
    private Schedules() {}

    /**
     * Linear warmup from 0 to {@code peakLr} over {@code warmupSteps}, then cosine decay to {@code minRatio·peakLr}
     * at {@code totalSteps} (and flat after). {@code step} counts from 0.
     */
    public static float warmupCosine(long step, long warmupSteps, long totalSteps, float peakLr, float minRatio) {
        if (warmupSteps > 0 && step < warmupSteps) return peakLr * (step + 1) / warmupSteps;
        long decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (step - warmupSteps) / (double) decaySteps);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return (float) (peakLr * (minRatio + (1 - minRatio) * cosine));
    }
}
