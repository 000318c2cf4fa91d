package dev.tandem.feedback.store;

import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bounded in-memory copy of rows by id, for rows that never change once stored (prompts, responses, the fixed
 * part of a task) or that may be a little stale ({@code maxAgeNanos}: dataset settings). When it grows past its
 * bound it is simply emptied: the database stays the source of truth, so a miss only costs a read.
 */
final class RowCache<V> {
    @FunctionalInterface
    interface Loader<V> {
        Optional<V> load(long id) throws SQLException;
    }

    private record Entry<V>(V value, long loadedAt) {}

    private final ConcurrentHashMap<Long, Entry<V>> map = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final long maxAgeNanos; // Long.MAX_VALUE: forever

    RowCache(int maxEntries, long maxAgeNanos) {
        if (maxEntries < 1 || maxAgeNanos <= 0) throw new IllegalArgumentException("maxEntries and maxAgeNanos must be positive");
        this.maxEntries = maxEntries;
        this.maxAgeNanos = maxAgeNanos;
    }

    /** The cached value, or the loaded one (cached when present). */
    Optional<V> get(long id, Loader<V> loader) throws SQLException {
        long now = System.nanoTime();
        V cached = fresh(map.get(id), now);
        if (cached != null) return Optional.of(cached);
        Optional<V> v = loader.load(id);
        if (v.isPresent()) put(id, v.get(), now);
        else map.remove(id);
        return v;
    }

    /** Caches a value that was just read. */
    void put(long id, V value) {
        put(id, value, System.nanoTime());
    }

    private void put(long id, V value, long loadedAt) {
        if (map.size() >= maxEntries) map.clear();
        map.put(id, new Entry<>(value, loadedAt));
    }

    /** The cached value if present and fresh; never loads. */
    V peek(long id) {
        return fresh(map.get(id), System.nanoTime());
    }

    private V fresh(Entry<V> e, long now) {
        return e != null && (maxAgeNanos == Long.MAX_VALUE || now - e.loadedAt() < maxAgeNanos) ? e.value() : null;
    }

    void forget(long id) { map.remove(id); }

    void clear() { map.clear(); }
}
