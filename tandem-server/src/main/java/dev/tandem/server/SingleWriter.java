package dev.tandem.server;

import java.util.function.Supplier;

/**
 * Formerly ran the labelling writes one after another on a dedicated thread, so that SQLite's single writer was fed
 * by one hot thread instead of a convoy of request threads. The store now does better itself: on SQLite,
 * {@code JdbcFeedbackStore} groups the concurrent lease/submit/release calls into one transaction and one fsync
 * (group commit, run by the first waiting caller). Funnelling the requests through a single thread here would hand
 * the store one operation at a time and defeat that grouping, so this runs the work on the caller's thread.
 *
 * <p>Kept only because {@link ServerConfig#singleWriter()} and {@link TandemServer} still create it; it holds no
 * thread and {@link LabelApi} calls the store directly.
 */
final class SingleWriter implements AutoCloseable {
    private SingleWriter() {}

    /** {@code enabled} is ignored: the store batches writes itself (see the class comment). */
    static SingleWriter create(boolean enabled) {
        return new SingleWriter();
    }

    <T> T call(Supplier<T> work) {
        return work.get();
    }

    void run(Runnable work) {
        work.run();
    }

    @Override
    public void close() {
        // nothing to stop
    }
}
