package dev.tandem.server;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** Token buckets keyed by API token. Thread-safe; one bucket per key, refilled lazily on each request. */
final class TokenBucketLimiter {
    private final RateLimit limit;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    TokenBucketLimiter(RateLimit limit, LongSupplier nanoClock) {
        this.limit = limit;
        this.nanoClock = nanoClock;
    }

    TokenBucketLimiter(RateLimit limit) { this(limit, System::nanoTime); }

    /** Takes one token for {@code key}: 0 if allowed, otherwise the nanoseconds until a token will be there. */
    long acquire(String key) {
        if (!limit.enabled()) return 0;
        return buckets.computeIfAbsent(key, k -> new Bucket(limit.burst(), nanoClock.getAsLong())).take(limit, nanoClock.getAsLong());
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
        }

        synchronized long take(RateLimit limit, long now) {
            tokens = Math.min(limit.burst(), tokens + (now - last) / 1e9 * limit.perSecond());
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / limit.perSecond() * 1e9);
        }
    }
}
