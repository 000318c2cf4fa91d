package dev.tandem.model;

/**
 * How to sample continuations.
 *
 * @param temperature   0 for greedy decoding (argmax), otherwise logits are divided by it
 * @param topK          keep only the k most likely tokens (0: no limit)
 * @param topP          nucleus sampling: keep the smallest set of tokens whose probability reaches p (1: no limit)
 * @param maxNewTokens  tokens to generate per row at most
 * @param seed          seed of the sampler's random stream (the same seed gives the same tokens)
 * @param stopAtEos     stop a row at EOS or BOS, as run.c does; false makes every row produce all its tokens
 */
public record SamplingConfig(float temperature, int topK, float topP, int maxNewTokens, long seed,
        boolean stopAtEos) {

    public SamplingConfig {
        if (!(temperature >= 0) || !Float.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
    }

    public static SamplingConfig greedy(int maxNewTokens) {
        return new SamplingConfig(0f, 0, 1f, maxNewTokens, 0L, true);
    }

    public static SamplingConfig sample(float temperature, int maxNewTokens, long seed) {
        return new SamplingConfig(temperature, 0, 1f, maxNewTokens, seed, true);
    }

    public SamplingConfig withSeed(long newSeed) {
        return new SamplingConfig(temperature, topK, topP, maxNewTokens, newSeed, stopAtEos);
    }

    public SamplingConfig withStopAtEos(boolean stop) {
        return new SamplingConfig(temperature, topK, topP, maxNewTokens, seed, stop);
    }

    /**
     * The random stream of batch row {@code row}: independent per row, so a row's draws do not depend on how the
     * batch is split or which sampler runs it.
     */
    public java.util.SplittableRandom rowRandom(int row) {
        long z = seed + 0x9E3779B97F4A7C15L * (row + 1L); // SplitMix64 finaliser of (seed, row)
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new java.util.SplittableRandom(z ^ (z >>> 31));
    }

    /** The temperature that scales logits for log-probs: 1 when greedy. */
    public float logProbTemperature() {
        return temperature == 0 ? 1f : temperature;
    }
}
