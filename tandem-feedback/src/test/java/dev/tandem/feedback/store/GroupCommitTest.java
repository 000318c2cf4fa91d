package dev.tandem.feedback.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.StorageException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite group-commit writer on its own: grouping, per-operation failure, acknowledgement after commit. */
class GroupCommitTest {
    @TempDir Path tmp;
    HikariDataSource ds;
    GroupCommit writer;
    ExecutorService callers;

    @BeforeEach
    void open() throws Exception {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:sqlite:" + tmp.resolve("g.db"));
        hc.setMaximumPoolSize(2);
        hc.addDataSourceProperty("journal_mode", "WAL");
        hc.addDataSourceProperty("synchronous", "FULL");
        hc.addDataSourceProperty("busy_timeout", "30000");
        ds = new HikariDataSource(hc);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)");
        }
        writer = new GroupCommit(ds, new ReentrantLock());
        callers = Executors.newFixedThreadPool(12);
    }

    @AfterEach
    void close() {
        callers.shutdownNow();
        writer.close();
        ds.close();
    }

    private Set<Long> rows() throws Exception {
        Set<Long> out = new HashSet<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT x FROM t")) {
            while (rs.next()) out.add(rs.getLong(1));
        }
        return out;
    }

    @Test
    void waitingOperationsShareOneCommitAndAFailingOneRollsBackAlone() throws Exception {
        CountDownLatch blockerRunning = new CountDownLatch(1), release = new CountDownLatch(1);
        // The first operation holds the writer while ten more queue up behind it: they must form one group.
        Future<Integer> blocker = callers.submit(() -> writer.call(tx -> {
            blockerRunning.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return tx.update("INSERT INTO t (x) VALUES (0)");
        }));
        assertTrue(blockerRunning.await(10, TimeUnit.SECONDS));
        List<Future<Integer>> ops = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            int x = i;
            ops.add(callers.submit(() -> writer.call(tx -> {
                int n = tx.update("INSERT INTO t (x) VALUES (?)", (long) x);
                if (x == 5) throw FeedbackException.invalid("five is not welcome"); // after its insert: must be undone
                if (x == 7) tx.update("INSERT INTO no_such_table VALUES (1)");      // an SQL error
                return n;
            })));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (writer.queued() < 10 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(10, writer.queued());
        release.countDown();
        assertEquals(1, blocker.get(10, TimeUnit.SECONDS));
        for (int i = 1; i <= 10; i++) {
            Future<Integer> f = ops.get(i - 1);
            if (i == 5) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertInstanceOf(FeedbackException.class, e.getCause());
            } else if (i == 7) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertInstanceOf(StorageException.class, e.getCause());
            } else {
                assertEquals(1, f.get(10, TimeUnit.SECONDS));
            }
        }
        assertEquals(Set.of(0L, 1L, 2L, 3L, 4L, 6L, 8L, 9L, 10L), rows());
        assertEquals(2, writer.groups(), "the blocker alone, then the ten together");
    }

    @Test
    void aResultIsReturnedOnlyAfterItsGroupIsCommitted() throws Exception {
        // Read from another connection right after the call returns: the row must be visible (committed), for
        // every one of many concurrent callers.
        List<Future<Boolean>> seen = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long x = 100 + i;
            seen.add(callers.submit(() -> {
                writer.call(tx -> tx.update("INSERT INTO t (x) VALUES (?)", x));
                try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t WHERE x = " + x)) {
                    rs.next();
                    return rs.getInt(1) == 1;
                }
            }));
        }
        for (Future<Boolean> f : seen) assertTrue(f.get(30, TimeUnit.SECONDS));
        assertEquals(200, rows().size());
        assertTrue(writer.groups() <= 200);
    }

    @Test
    void callsAfterCloseFailClearly() {
        writer.close();
        StorageException e = assertThrows(StorageException.class, () -> writer.call(tx -> 1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
