package dev.tandem.feedback.store;

import dev.tandem.feedback.StorageException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for SQLite: the operations of concurrent callers are queued, and as many as are waiting (up to
 * {@link #MAX_BATCH}) run in ONE transaction, each inside its own savepoint, with one commit (one fsync for the whole
 * group); only then does each caller get its result. Nothing is acknowledged before it is durable, and an operation
 * that fails rolls back to its savepoint without disturbing the others in its group.
 *
 * <p>Leader/follower: there is no writer thread. A caller that finds no group running becomes the leader and runs
 * the next group itself (its own operation included); callers arriving meanwhile wait, and when the leader is done it
 * wakes the first of them to lead the next group. So a group starts on a thread that is already running, with no
 * hand-off to a dedicated thread that might not be scheduled (on a busy 2-core machine such hand-offs set the tail
 * latency).
 *
 * <p>The transaction starts with {@code BEGIN IMMEDIATE}: it holds SQLite's write lock from before its first read,
 * so a read-then-write (e.g. pick a task, take its slot) is atomic also against other connections and processes on the
 * same file. Within this process each group takes the store's write lock, so groups alternate cleanly with the other
 * (non-grouped) writes. One connection, with its prepared statements, serves all groups.
 */
final class GroupCommit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    static final int MAX_BATCH = 256;

    @FunctionalInterface
    interface Op<T> {
        T run(Tx tx) throws SQLException;
    }

    /** A queued operation and, once its group is committed or has failed, its outcome. */
    private static final class Pending {
        final Op<?> op;
        final Thread caller;
        volatile boolean done;
        Object result;
        Throwable failure;

        Pending(Op<?> op, Thread caller) {
            this.op = op;
            this.caller = caller;
        }

        void finish(Object r, Throwable f) {
            result = r;
            failure = f;
            done = true; // volatile write publishes result/failure
            LockSupport.unpark(caller);
        }
    }

    private final DataSource dataSource;
    private final Lock writeLock;
    private final ReentrantLock leader = new ReentrantLock(); // held while a group runs
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean closed;
    private Connection connection; // under `leader`
    private Tx tx;                 // under `leader`
    private volatile long groups;  // written under `leader`
    private volatile long ops;

    GroupCommit(DataSource dataSource, Lock writeLock) {
        this.dataSource = dataSource;
        this.writeLock = writeLock;
    }

    /**
     * Runs {@code op} in the next group and returns its result once the group is committed. Exceptions thrown by the
     * operation come back as they were (SQLException wrapped in {@link StorageException}); a failed commit fails every
     * operation of the group with a StorageException (nothing of the group was stored).
     */
    <T> T call(Op<T> op) {
        if (leader.isHeldByCurrentThread()) throw new IllegalStateException("re-entrant store call from inside a group");
        if (closed) throw new StorageException("the feedback store is closed", null);
        Pending p = new Pending(op, Thread.currentThread());
        queued.incrementAndGet();
        queue.add(p);
        boolean interrupted = false;
        while (!p.done) {
            if (leader.tryLock()) {
                try {
                    // Holding `leader`, no group is running, so p (not done) is still queued: it is in this group
                    // or, behind more than MAX_BATCH others, in a later one this loop runs.
                    if (!p.done) runGroup(drain());
                } finally {
                    leader.unlock();
                }
                Pending next = queue.peek(); // hand over: the first waiter leads the next group
                if (next != null) LockSupport.unpark(next.caller);
            } else {
                // Woken when p is done, or to lead; a caller that queued while the leader ran is woken by the
                // leader's hand-over (it looks at the queue after letting go of `leader`).
                LockSupport.park(this);
                if (Thread.interrupted()) interrupted = true; // keep waiting: the caller must learn the outcome
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (p.failure == null) {
            @SuppressWarnings("unchecked") T r = (T) p.result;
            return r;
        }
        Throwable f = p.failure;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        if (f instanceof SQLException s) throw new StorageException("database write failed: " + s.getMessage(), s);
        throw new StorageException("database write failed: " + f, f);
    }

    private List<Pending> drain() {
        List<Pending> group = new ArrayList<>();
        for (Pending p; group.size() < MAX_BATCH && (p = queue.poll()) != null; ) {
            queued.decrementAndGet();
            group.add(p);
        }
        return group;
    }

    private void runGroup(List<Pending> group) {
        if (group.isEmpty()) return;
        Object[] results = new Object[group.size()];
        Throwable[] failures = new Throwable[group.size()];
        writeLock.lock();
        try {
            Tx t = tx();
            t.exec("BEGIN IMMEDIATE");
            boolean committed = false;
            try {
                for (int i = 0; i < group.size(); i++) runOne(t, group.get(i), i, results, failures);
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
            for (Pending p : group) p.finish(null, reported);
            return;
        } finally {
            writeLock.unlock();
        }
        for (int i = 0; i < group.size(); i++) group.get(i).finish(results[i], failures[i]);
    }

    private static void runOne(Tx t, Pending p, int i, Object[] results, Throwable[] failures) throws SQLException {
        t.exec("SAVEPOINT op");
        try {
            results[i] = p.op.run(t);
            t.exec("RELEASE op");
        } catch (SQLException | RuntimeException e) {
            t.exec("ROLLBACK TO op");
            t.exec("RELEASE op");
            failures[i] = e instanceof JdbcFeedbackStore.SqlFailure f ? f.sql() : e;
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
                log.debug("closing the group-commit connection: {}", e.toString());
            }
            connection = null;
        }
    }

    /** Operations waiting for a group (for tests and diagnostics). */
    int queued() { return queued.get(); }

    /** Groups committed so far (for tests and diagnostics). */
    long groups() { return groups; }

    /** Runs what is still queued, then returns the connection; later calls fail. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        leader.lock();
        try {
            for (List<Pending> rest = drain(); !rest.isEmpty(); rest = drain()) runGroup(rest);
            closeConnection();
            log.debug("group commit stopped after {} groups, {} operations", groups, ops);
        } finally {
            leader.unlock();
        }
    }
}
