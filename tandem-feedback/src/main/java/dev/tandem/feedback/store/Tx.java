package dev.tandem.feedback.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One connection (and so one transaction) with small query helpers. A {@linkplain #cached(Connection) caching} Tx keeps
 * its prepared statements open for reuse (the group-commit writer holds one connection for its lifetime, so each SQL
 * string is compiled once); a {@linkplain #of(Connection) plain} one prepares and closes a statement per call.
 */
final class Tx {
    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private final Connection c;
    private final Map<String, PreparedStatement> cache; // null: prepare per call

    private Tx(Connection c, Map<String, PreparedStatement> cache) {
        this.c = c;
        this.cache = cache;
    }

    static Tx of(Connection c) { return new Tx(c, null); }

    static Tx cached(Connection c) { return new Tx(c, new HashMap<>()); }

    Connection connection() { return c; }

    /** Closes the cached statements (the connection stays open). */
    void closeStatements() {
        if (cache == null) return;
        for (PreparedStatement ps : cache.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        cache.clear();
    }

    private PreparedStatement prepare(String sql, Object[] args) throws SQLException {
        PreparedStatement ps;
        if (cache == null) {
            ps = c.prepareStatement(sql);
        } else {
            ps = cache.get(sql);
            if (ps == null) {
                ps = c.prepareStatement(sql);
                cache.put(sql, ps);
            }
        }
        try {
            for (int i = 0; i < args.length; i++) bind(ps, i + 1, args[i]);
        } catch (SQLException | RuntimeException e) {
            release(ps);
            throw e;
        }
        return ps;
    }

    private static void bind(PreparedStatement ps, int i, Object a) throws SQLException {
        if (a == null) ps.setNull(i, Types.NULL);
        else if (a instanceof Long l) ps.setLong(i, l);
        else if (a instanceof Integer n) ps.setInt(i, n);
        else if (a instanceof Double d) ps.setDouble(i, d);
        else if (a instanceof Boolean b) ps.setInt(i, b ? 1 : 0);
        else ps.setString(i, a.toString());
    }

    private void release(PreparedStatement ps) throws SQLException {
        if (cache == null) ps.close();
    }

    int update(String sql, Object... args) throws SQLException {
        PreparedStatement ps = prepare(sql, args);
        try {
            return ps.executeUpdate();
        } finally {
            release(ps);
        }
    }

    /** INSERT ... RETURNING id (SQLite >= 3.35 and PostgreSQL). */
    long insert(String sql, Object... args) throws SQLException {
        PreparedStatement ps = prepare(sql + " RETURNING id", args);
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) throw new SQLException("INSERT returned no id: " + sql);
            return rs.getLong(1);
        } finally {
            release(ps);
        }
    }

    <T> List<T> list(RowMapper<T> mapper, String sql, Object... args) throws SQLException {
        PreparedStatement ps = prepare(sql, args);
        try (ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) out.add(mapper.map(rs));
            return out;
        } finally {
            release(ps);
        }
    }

    <T> Optional<T> one(RowMapper<T> mapper, String sql, Object... args) throws SQLException {
        PreparedStatement ps = prepare(sql, args);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(mapper.map(rs)) : Optional.empty();
        } finally {
            release(ps);
        }
    }

    long count(String sql, Object... args) throws SQLException {
        PreparedStatement ps = prepare(sql, args);
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } finally {
            release(ps);
        }
    }

    /** Runs a statement without parameters or results (BEGIN, SAVEPOINT, COMMIT...). */
    void exec(String sql) throws SQLException {
        PreparedStatement ps = prepare(sql, new Object[0]);
        try {
            ps.execute();
        } finally {
            release(ps);
        }
    }
}
