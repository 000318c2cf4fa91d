package dev.tandem.server;

import java.time.ZoneId;
import java.util.Objects;

/**
 * How to run a {@link TandemServer}.
 *
 * @param host address to bind ({@code 127.0.0.1} for this machine only, {@code 0.0.0.0} for the network)
 * @param port TCP port, 0 for an ephemeral one
 * @param maxRequestBytes largest accepted request body; larger ones get 413
 * @param rateLimit per-token request limit; exceeding it gets 429 with Retry-After
 * @param zone time zone for "done today" counts
 * @param bootstrapAdmin create an {@code admin} annotator and print its token when the store has no admin yet
 */
public record ServerConfig(String host, int port, long maxRequestBytes, RateLimit rateLimit, ZoneId zone,
                           boolean bootstrapAdmin) {
    /** 1 MiB. */
    public static final long DEFAULT_MAX_REQUEST_BYTES = 1 << 20;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        if (maxRequestBytes < 1024) throw new IllegalArgumentException("maxRequestBytes must be >= 1024, got " + maxRequestBytes);
        Objects.requireNonNull(rateLimit, "rateLimit");
        Objects.requireNonNull(zone, "zone");
    }

    /** Loopback, port 8080, 1 MiB bodies, default rate limit, the system time zone, admin bootstrap on. */
    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 8080, DEFAULT_MAX_REQUEST_BYTES, RateLimit.defaults(), ZoneId.systemDefault(), true);
    }

    /** Like {@link #defaults()} on an ephemeral loopback port (tests). */
    public static ServerConfig ephemeral() { return defaults().withPort(0); }

    public ServerConfig withHost(String h) { return new ServerConfig(h, port, maxRequestBytes, rateLimit, zone, bootstrapAdmin); }
    public ServerConfig withPort(int p) { return new ServerConfig(host, p, maxRequestBytes, rateLimit, zone, bootstrapAdmin); }
    public ServerConfig withMaxRequestBytes(long n) { return new ServerConfig(host, port, n, rateLimit, zone, bootstrapAdmin); }
    public ServerConfig withRateLimit(RateLimit r) { return new ServerConfig(host, port, maxRequestBytes, r, zone, bootstrapAdmin); }
    public ServerConfig withZone(ZoneId z) { return new ServerConfig(host, port, maxRequestBytes, rateLimit, z, bootstrapAdmin); }
    public ServerConfig withBootstrapAdmin(boolean b) { return new ServerConfig(host, port, maxRequestBytes, rateLimit, zone, b); }
}
