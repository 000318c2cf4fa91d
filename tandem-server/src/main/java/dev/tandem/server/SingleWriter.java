package dev.tandem.server;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Runs the labelling writes (lease a task, submit, release) one after another on a single thread. For SQLite, which
 * admits one writer at a time anyway, this replaces a convoy of request threads queueing on the store's write lock
 * (each hand-over a context switch) with one hot thread working through a queue; the request threads just wait for
 * their result. Each write is still its own committed transaction: nothing is acknowledged before it is durable.
 */
final class SingleWriter implements AutoCloseable {
    private final ExecutorService executor;

    private SingleWriter(ExecutorService executor) {
        this.executor = executor;
    }

    /** A writer with its own thread, or {@code null}-free pass-through when {@code enabled} is false. */
    static SingleWriter create(boolean enabled) {
        return new SingleWriter(enabled ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-store-writer");
            t.setDaemon(true);
            return t;
        }) : null);
    }

    <T> T call(Supplier<T> work) {
        if (executor == null) return work.get();
        Future<T> f = executor.submit(work::get);
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the store");
        }
    }

    void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    @Override
    public void close() {
        if (executor != null) executor.shutdown();
    }
}
