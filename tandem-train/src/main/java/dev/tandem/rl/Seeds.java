package dev.tandem.rl;

/**
 * Derived seeds: every random choice of a run (sampling, prompt order, minibatch order) is seeded by the run's seed
 * and the step it happens at, so a resumed run draws exactly what an uninterrupted one would, with no random
 * generator state to save.
 */
public final class Seeds {
    private Seeds() {}

    /** SplitMix64 of the seed folded with each part. */
    public static long mix(long seed, long... parts) {
        long z = seed;
        for (long p : parts) z = finalise(z + 0x9E3779B97F4A7C15L * (p + 1));
        return finalise(z);
    }

    private static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A seeded permutation of 0..n-1 (Fisher–Yates). */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
