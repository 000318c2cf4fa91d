package dev.tandem.rl;

/**
 * Baselines from k samples of the same prompt, no value model. Rewards are laid out group by group:
 * {@code rewards[g·k + i]} is sample i of prompt g.
 */
public final class GroupAdvantages {
    private GroupAdvantages() {}

    /**
     * GRPO (Shao et al. 2024, DeepSeekMath): {@code (r_i − mean_g) / (std_g + eps)} with the sample standard
     * deviation of the group, as TRL; with {@code scaleByStd = false} only the mean is removed (Dr. GRPO). A group
     * whose rewards are all equal gets advantage 0 everywhere.
     */
    public static float[] grpo(float[] rewards, int k, boolean scaleByStd, float eps) {
        check(rewards, k);
        float[] adv = new float[rewards.length];
        for (int g = 0; g < rewards.length; g += k) {
            double mean = 0;
            for (int i = 0; i < k; i++) mean += rewards[g + i];
            mean /= k;
            double ss = 0;
            for (int i = 0; i < k; i++) ss += (rewards[g + i] - mean) * (rewards[g + i] - mean);
            double std = k > 1 ? Math.sqrt(ss / (k - 1)) : 0;
            for (int i = 0; i < k; i++) {
                double centred = rewards[g + i] - mean;
                adv[g + i] = (float) (scaleByStd ? centred / (std + eps) : centred);
            }
        }
        return adv;
    }

    /**
     * RLOO (Kool et al. 2019; Ahmadian et al. 2024): each sample's baseline is the mean reward of the other k − 1
     * samples of its prompt: {@code r_i − (Σ_j r_j − r_i)/(k − 1)}.
     */
    public static float[] rloo(float[] rewards, int k) {
        check(rewards, k);
        if (k < 2) throw new IllegalArgumentException("RLOO needs k >= 2 samples per prompt, got " + k);
        float[] adv = new float[rewards.length];
        for (int g = 0; g < rewards.length; g += k) {
            double sum = 0;
            for (int i = 0; i < k; i++) sum += rewards[g + i];
            for (int i = 0; i < k; i++) adv[g + i] = (float) (rewards[g + i] - (sum - rewards[g + i]) / (k - 1));
        }
        return adv;
    }

    /** Fraction of groups whose rewards are all equal (they carry no learning signal). */
    public static double zeroSpreadFraction(float[] rewards, int k) {
        check(rewards, k);
        int groups = rewards.length / k, flat = 0;
        for (int g = 0; g < rewards.length; g += k) {
            boolean same = true;
            for (int i = 1; i < k; i++) same &= rewards[g + i] == rewards[g];
            if (same) flat++;
        }
        return (double) flat / groups;
    }

    private static void check(float[] rewards, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (rewards.length == 0 || rewards.length % k != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not form groups of " + k);
        }
    }
}
