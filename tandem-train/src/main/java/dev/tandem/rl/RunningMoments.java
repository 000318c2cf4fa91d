package dev.tandem.rl;

/**
 * Running mean and variance over every value seen (Chan et al.'s parallel update, as TRL's RunningMoments), for
 * normalising reward-model scores across batches. Its state is saved with checkpoints.
 */
public final class RunningMoments {
    private double mean, var, count;

    public RunningMoments() {}

    /** Restores the state saved with a checkpoint. */
    public void restore(double mean, double var, double count) {
        this.mean = mean;
        this.var = var;
        this.count = count;
    }

    /** Folds a batch in. */
    public void update(float[] xs) {
        if (xs.length == 0) return;
        double m = 0;
        for (float x : xs) m += x;
        m /= xs.length;
        double v = 0;
        for (float x : xs) v += (x - m) * (x - m);
        v /= xs.length;
        double n = xs.length, total = count + n, delta = m - mean;
        double sum = var * count + v * n + delta * delta * count * n / total;
        mean += delta * n / total;
        var = sum / total;
        count = total;
    }

    public double mean() { return mean; }

    /** Population variance of everything seen. */
    public double variance() { return var; }

    /** Sample standard deviation (Bessel-corrected), 0 until two values were seen. */
    public double std() {
        return count > 1 ? Math.sqrt(var * count / (count - 1)) : 0;
    }

    public double count() { return count; }
}
