package dev.tandem.rl;

/**
 * Generalised advantage estimation (Schulman et al. 2016) over ragged rows of per-token rewards and values.
 * Beyond a row's last token the value is 0 (the episode ended), so
 * {@code δ_t = r_t + γ·V_{t+1} − V_t} and {@code A_t = δ_t + γλ·A_{t+1}}; returns are {@code A_t + V_t}.
 *
 * <p>The recursion runs backwards in time, so it is a loop; it runs on the host over at most B·T floats, which
 * costs microseconds, far less than launching the equivalent T tensor ops.
 */
public final class Gae {
    private Gae() {}

    public record Result(float[][] advantages, float[][] returns) {}

    public static Result compute(float[][] rewards, float[][] values, float gamma, float lambda) {
        if (rewards.length != values.length) throw new IllegalArgumentException("rewards and values differ in rows");
        float[][] adv = new float[rewards.length][], ret = new float[rewards.length][];
        for (int b = 0; b < rewards.length; b++) {
            int n = rewards[b].length;
            if (values[b].length != n) throw new IllegalArgumentException("row " + b + ": rewards and values differ in length");
            adv[b] = new float[n];
            ret[b] = new float[n];
            double last = 0;
            for (int t = n - 1; t >= 0; t--) {
                double next = t + 1 < n ? values[b][t + 1] : 0;
                double delta = rewards[b][t] + gamma * next - values[b][t];
                last = delta + gamma * lambda * last;
                adv[b][t] = (float) last;
                ret[b][t] = (float) (last + values[b][t]);
            }
        }
        return new Result(adv, ret);
    }
}
