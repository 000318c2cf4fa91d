package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh database for one test: a new SQLite file, or a new PostgreSQL schema dropped on {@link #close()}.
 * PostgreSQL is 127.0.0.1:5432, user postgres, database test (override with TANDEM_TEST_PG_URL); when it is
 * unreachable the test fails if CI=true and is skipped otherwise.
 */
final class TestDb implements AutoCloseable {
    static final String PG_BASE = System.getenv().getOrDefault("TANDEM_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");

    private final String url;
    private final String schema;

    private TestDb(String url, String schema) {
        this.url = url;
        this.schema = schema;
    }

    static TestDb sqlite(Path dir) {
        return new TestDb("jdbc:sqlite:" + dir.resolve("feedback.db").toAbsolutePath(), null);
    }

    static TestDb postgres() {
        String schema = "t_srv_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        try (Connection c = DriverManager.getConnection(PG_BASE + "?user=postgres&connectTimeout=5")) {
            c.isValid(5);
        } catch (SQLException e) {
            String msg = "PostgreSQL at " + PG_BASE + " is unreachable: " + e.getMessage();
            if ("true".equals(System.getenv("CI"))) fail(msg + " (CI=true: PostgreSQL tests must run)");
            Assumptions.abort(msg);
        }
        return new TestDb(PG_BASE + "?user=postgres&currentSchema=" + schema, schema);
    }

    String url() { return url; }

    @Override
    public void close() throws SQLException {
        if (schema == null) return;
        try (Connection c = DriverManager.getConnection(PG_BASE + "?user=postgres"); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
