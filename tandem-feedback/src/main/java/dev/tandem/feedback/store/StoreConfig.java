package dev.tandem.feedback.store;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How to open a store.
 *
 * @param jdbcUrl {@code jdbc:sqlite:PATH} or {@code jdbc:postgresql://HOST:PORT/DB[?currentSchema=S]}
 * @param maxPoolSize maximum pooled connections (PostgreSQL; SQLite uses this for readers)
 * @param clock time source for timestamps and leases (tests pass a movable clock)
 * @param random source for gold sampling and display order (tests pass a seeded one)
 */
public record StoreConfig(String jdbcUrl, int maxPoolSize, Clock clock, RandomGenerator random) {

    /** The embedded default: {@code tandem-data/feedback.db} under the working directory. */
    public static final String DEFAULT_URL = "jdbc:sqlite:tandem-data/feedback.db";

    public StoreConfig {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:sqlite:") && !jdbcUrl.startsWith("jdbc:postgresql:"))
            throw new IllegalArgumentException("unsupported JDBC URL (use jdbc:sqlite:PATH or jdbc:postgresql://...): " + jdbcUrl);
        if (maxPoolSize < 1) throw new IllegalArgumentException("maxPoolSize must be >= 1");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
    }

    /** Pool of 8, system clock, a fresh random generator. */
    public static StoreConfig of(String jdbcUrl) {
        return new StoreConfig(jdbcUrl, 8, Clock.systemUTC(), new java.security.SecureRandom());
    }

    /** SQLite at this file (parent directories are created on open). */
    public static StoreConfig sqlite(Path file) {
        return of("jdbc:sqlite:" + file.toAbsolutePath());
    }

    public StoreConfig withClock(Clock c) { return new StoreConfig(jdbcUrl, maxPoolSize, c, random); }
    public StoreConfig withRandom(RandomGenerator r) { return new StoreConfig(jdbcUrl, maxPoolSize, clock, r); }
    public StoreConfig withMaxPoolSize(int n) { return new StoreConfig(jdbcUrl, n, clock, random); }

    public boolean isSqlite() { return jdbcUrl.startsWith("jdbc:sqlite:"); }
}
