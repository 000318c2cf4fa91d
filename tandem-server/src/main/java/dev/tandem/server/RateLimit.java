package dev.tandem.server;

/**
 * Per-token token bucket: a client may send {@code burst} requests at once and {@code perSecond} on average.
 *
 * @param burst bucket capacity (requests), >= 1
 * @param perSecond refill rate (requests per second), > 0
 * @param enabled false turns limiting off (benchmarks)
 */
public record RateLimit(double burst, double perSecond, boolean enabled) {
    public RateLimit {
        if (enabled && !(burst >= 1)) throw new IllegalArgumentException("rate limit burst must be >= 1, got " + burst);
        if (enabled && !(perSecond > 0)) throw new IllegalArgumentException("rate limit must be > 0 requests/s, got " + perSecond);
    }

    /** At most {@code perSecond} requests per second on average, bursts of {@code burst}. */
    public static RateLimit of(double burst, double perSecond) { return new RateLimit(burst, perSecond, true); }

    /** No limit. */
    public static RateLimit unlimited() { return new RateLimit(0, 0, false); }

    /** Bursts of 60 requests, 20 per second sustained: far above a person's pace, low enough to stop a runaway script. */
    public static RateLimit defaults() { return of(60, 20); }
}
