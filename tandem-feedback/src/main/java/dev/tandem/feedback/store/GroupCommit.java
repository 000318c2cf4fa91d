package dev.tandem.feedback.store;

import dev.tandem.feedback.StorageException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Lock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for SQLite: one writer thread takes the pending operations from a queue, runs as many as are waiting
 * (up to {@link #MAX_BATCH}) in ONE transaction, each inside its own savepoint, commits once (one fsync for the whole
 * group) and only then completes each caller's future. Nothing is acknowledged before it is durable, and an operation
 * that fails rolls back to its savepoint without disturbing the others in its group.
 *
 * <p>The transaction starts with {@code BEGIN IMMEDIATE}: it holds SQLite's write lock from before its first read,
 * so a read-then-write (e.g. pick a task, take its slot) is atomic also against other connections and processes on the
 * same file. Within this process the writer takes the store's write lock for each group, so it alternates cleanly with
 * the other (non-grouped) writes. The writer keeps one connection with its prepared statements for its lifetime.
 */
final class GroupCommit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    static final int MAX_BATCH = 256;

    @FunctionalInterface
    interface Op<T> {
        T run(Tx tx) throws SQLException;
    }

    private record Pending<T>(Op<T> op, CompletableFuture<T> result) {
        void complete(Object value) {
            @SuppressWarnings("unchecked") T v = (T) value;
            result.complete(v);
        }
    }

    private static final Pending<Void> STOP = new Pending<>(tx -> null, new CompletableFuture<>());

    private final DataSource dataSource;
    private final Lock writeLock;
    private final LinkedBlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private Connection connection; // writer thread only
    private Tx tx;                 // writer thread only
    private volatile long groups; // written by the writer thread only
    private volatile long ops;

    GroupCommit(DataSource dataSource, Lock writeLock, String name) {
        this.dataSource = dataSource;
        this.writeLock = writeLock;
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Runs {@code op} in the next group and returns its result once the group is committed. Exceptions thrown by the
     * operation come back as they were (SQLException wrapped in {@link StorageException}); a failed commit fails every
     * operation of the group with a StorageException (nothing of the group was stored).
     */
    <T> T call(Op<T> op) {
        if (Thread.currentThread() == thread) throw new IllegalStateException("re-entrant store call from the writer thread");
        if (closed) throw new StorageException("the feedback store is closed", null);
        Pending<T> p = new Pending<>(op, new CompletableFuture<>());
        queue.add(p);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return p.result().get(1, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    // close() raced with us and the writer is gone: don't leave the caller waiting
                    if (closed && !thread.isAlive()) drainAndFail();
                } catch (InterruptedException e) {
                    // Keep waiting: the operation may be in the group being committed, and the caller must learn
                    // whether it was stored. The interrupt is restored below.
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            if (cause instanceof SQLException s) throw new StorageException("database write failed: " + s.getMessage(), s);
            throw new StorageException("database write failed: " + cause, cause);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        List<Pending<?>> group = new ArrayList<>(MAX_BATCH);
        List<Object> results = new ArrayList<>(MAX_BATCH);
        while (true) {
            group.clear();
            results.clear();
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                continue; // only close() stops us, through STOP
            }
            queue.drainTo(group, MAX_BATCH - 1);
            boolean stop = group.remove(STOP);
            if (!group.isEmpty()) runGroup(group, results);
            if (stop) break;
        }
        drainAndFail();
        if (tx != null) tx.closeStatements();
        closeConnection();
        log.debug("group commit writer stopped after {} groups, {} operations", groups, ops);
    }

    private void runGroup(List<Pending<?>> group, List<Object> results) {
        writeLock.lock();
        try {
            Tx t = tx();
            t.exec("BEGIN IMMEDIATE");
            boolean committed = false;
            try {
                for (Pending<?> p : group) results.add(runOne(t, p));
                t.exec("COMMIT");
                committed = true;
            } finally {
                if (!committed) rollback(t);
            }
            groups++;
            ops += group.size();
        } catch (SQLException | RuntimeException | Error e) {
            // BEGIN or COMMIT failed (or something outside an operation): nothing of this group was stored.
            log.warn("group commit of {} operations failed: {}", group.size(), e.toString());
            if (e instanceof SQLException) closeConnection(); // start over on a fresh connection next time
            Throwable reported = e instanceof SQLException s ? new StorageException("database write failed: " + s.getMessage(), s) : e;
            for (Pending<?> p : group) p.result().completeExceptionally(reported);
            return;
        } finally {
            writeLock.unlock();
        }
        for (int i = 0; i < group.size(); i++) {
            Object r = results.get(i);
            if (r instanceof Failure f) group.get(i).result().completeExceptionally(f.cause());
            else group.get(i).complete(r);
        }
    }

    /** An operation's own failure, kept until the group's fate is known. */
    private record Failure(Throwable cause) {}

    private Object runOne(Tx t, Pending<?> p) throws SQLException {
        t.exec("SAVEPOINT op");
        try {
            Object r = p.op().run(t);
            t.exec("RELEASE op");
            return r;
        } catch (SQLException | RuntimeException e) {
            t.exec("ROLLBACK TO op");
            t.exec("RELEASE op");
            Throwable cause = e instanceof JdbcFeedbackStore.SqlFailure f ? f.sql() : e;
            return new Failure(cause);
        }
    }

    private Tx tx() throws SQLException {
        if (tx == null) {
            connection = dataSource.getConnection();
            if (!connection.getAutoCommit()) connection.setAutoCommit(true); // we issue BEGIN/COMMIT ourselves
            tx = Tx.cached(connection);
        }
        return tx;
    }

    private static void rollback(Tx t) {
        try {
            t.exec("ROLLBACK");
        } catch (SQLException e) {
            log.debug("rollback failed: {}", e.toString()); // e.g. no transaction was open (BEGIN failed)
        }
    }

    private void closeConnection() {
        if (tx != null) tx.closeStatements();
        tx = null;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing the writer connection: {}", e.toString());
            }
            connection = null;
        }
    }

    private void drainAndFail() {
        List<Pending<?>> left = new ArrayList<>();
        queue.drainTo(left);
        for (Pending<?> p : left)
            if (p != STOP) p.result().completeExceptionally(new StorageException("the feedback store is closed", null));
    }

    /** Operations waiting for the writer (for tests and diagnostics). */
    int queued() { return queue.size(); }

    /** Groups committed so far (for tests and diagnostics). */
    long groups() { return groups; }

    /** Finishes the queued operations, then stops the writer and returns its connection. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        queue.add(STOP);
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
