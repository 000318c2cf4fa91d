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

/** Wraps route handlers with authentication (401), authorisation (403) and the per-token rate limit (429). */
final class Guard {
    private final FeedbackStore store;
    private final TokenBucketLimiter limiter;

    Guard(FeedbackStore store, TokenBucketLimiter limiter) {
        this.store = store;
        this.limiter = limiter;
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
        Optional<Annotator> a = store.authenticate(token);
        if (a.isEmpty()) throw ApiException.unauthorized("invalid or revoked token");
        String key = sha256(token);
        long waitNanos = limiter.acquire(key);
        if (waitNanos > 0) {
            long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
            ctx.header("Retry-After", String.valueOf(seconds));
            throw new ApiException(429, "rate_limited", null, "too many requests for this token; retry in " + seconds + " s");
        }
        return new Principal(a.get(), key);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
