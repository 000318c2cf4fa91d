package dev.tandem.server;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.store.FeedbackStore;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Wraps route handlers with authentication (401), authorisation (403) and the per-token rate limit (429).
 *
 * <p>Valid tokens are remembered for {@link #CACHE_NANOS} so that each request does not cost a database read; tokens
 * revoked through this server are forgotten at once ({@link #forget}), tokens revoked by another process (e.g. the
 * CLI on the same database) stop working within that time.
 */
final class Guard {
    static final long CACHE_NANOS = 5_000_000_000L;
    private static final int CACHE_MAX = 10_000;

    private record Cached(Annotator annotator, long expiresAt) {}

    private final FeedbackStore store;
    private final TokenBucketLimiter limiter;
    private final java.util.concurrent.ConcurrentHashMap<String, Cached> cache = new java.util.concurrent.ConcurrentHashMap<>();

    Guard(FeedbackStore store, TokenBucketLimiter limiter) {
        this.store = store;
        this.limiter = limiter;
    }

    /** Drops every cached token of this annotator (after a revocation). */
    void forget(long annotatorId) {
        cache.values().removeIf(c -> c.annotator().id() == annotatorId);
    }

    Handler wrap(ApiRoute route) {
        return ctx -> {
            Principal who = route.role() == Role.PUBLIC ? null : authenticate(ctx);
            if (route.role() == Role.ADMIN && !who.isAdmin()) throw ApiException.forbidden("this route is for admins only");
            route.handler().handle(ctx, who);
        };
    }

    /** The caller of the request, after the rate limit; 401 without a valid bearer token, 429 over the limit. */
    Principal authenticate(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) throw ApiException.unauthorized("missing Authorization: Bearer TOKEN header");
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) throw ApiException.unauthorized("the Authorization header must be 'Bearer TOKEN'");
        String token = header.substring(7).strip();
        String key = sha256(token);
        long now = System.nanoTime();
        Cached hit = cache.get(key);
        Annotator who;
        if (hit != null && hit.expiresAt() - now > 0) {
            who = hit.annotator();
        } else {
            Optional<Annotator> a = store.authenticate(token);
            if (a.isEmpty()) {
                cache.remove(key);
                throw ApiException.unauthorized("invalid or revoked token");
            }
            who = a.get();
            if (cache.size() >= CACHE_MAX) cache.clear();
            cache.put(key, new Cached(who, now + CACHE_NANOS));
        }
        long waitNanos = limiter.acquire(key);
        if (waitNanos > 0) {
            long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
            ctx.header("Retry-After", String.valueOf(seconds));
            throw new ApiException(429, "rate_limited", null, "too many requests for this token; retry in " + seconds + " s");
        }
        return new Principal(who, key);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
