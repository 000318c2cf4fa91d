package dev.tandem.loop;

import dev.tandem.model.Llama;
import dev.tandem.model.Scoring;
import dev.tandem.rl.NoGrad;

/** KL between two policies, estimated on responses sampled from the first. */
public final class PolicyProbe {
    private static final int CHUNK = 64;

    private PolicyProbe() {}

    /**
     * Per response, {@code Σ_t log π(y_t) − log π_ref(y_t)} at the sampling temperature: its mean over responses
     * drawn from π is an unbiased estimate of KL(π ‖ π_ref) in nats per response.
     */
    public static double[] sequenceKl(Llama policy, Llama reference, int[][] prompts, int[][] responses,
            float temperature) {
        double[] out = new double[prompts.length];
        try (NoGrad ignored = NoGrad.enter()) {
            for (int s = 0; s < prompts.length; s += CHUNK) {
                int e = Math.min(prompts.length, s + CHUNK);
                int[][] p = java.util.Arrays.copyOfRange(prompts, s, e), r = java.util.Arrays.copyOfRange(responses, s, e);
                float[][] lp = Scoring.score(policy, p, r, temperature, 0).logProbs();
                float[][] lr = Scoring.score(reference, p, r, temperature, 0).logProbs();
                for (int i = 0; i < lp.length; i++) {
                    double k = 0;
                    for (int t = 0; t < lp[i].length; t++) k += lp[i][t] - (double) lr[i][t];
                    out[s + i] = k;
                }
            }
        }
        return out;
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) s += v;
        return a.length == 0 ? Double.NaN : s / a.length;
    }

    static double mean(float[] a) {
        double s = 0;
        for (float v : a) s += v;
        return a.length == 0 ? Double.NaN : s / a.length;
    }
}
