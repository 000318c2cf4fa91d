package dev.tandem.feedback.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class SqliteFeedbackStoreTest extends FeedbackStoreContract {
    @Override
    TestDatabase newDatabase(Path dir) { return TestDatabase.sqlite(dir); }

    @Test
    void pooledConnectionsUseWalWithFullSyncAndABusyTimeout() throws Exception {
        var hikari = (JdbcFeedbackStore) store;
        try (Connection c = hikari.connectionForTests(); Statement s = c.createStatement()) {
            assertEquals("wal", pragma(s, "journal_mode"));
            assertEquals("2", pragma(s, "synchronous"), "FULL");
            assertEquals("30000", pragma(s, "busy_timeout"));
            assertEquals("1", pragma(s, "foreign_keys"));
        }
    }

    @Test
    void createsParentDirectoriesOfTheDatabaseFile() {
        Path file = tmp.resolve("a/b/feedback.db");
        try (FeedbackStore s = JdbcFeedbackStore.open("jdbc:sqlite:" + file)) {
            assertTrue(s.datasets().isEmpty());
        }
        assertTrue(Files.isRegularFile(file));
    }

    private static String pragma(Statement s, String name) throws Exception {
        try (ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
