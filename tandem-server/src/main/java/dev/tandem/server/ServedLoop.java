package dev.tandem.server;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A training loop attached to the server (the live RLHF loop of {@code tandem serve --loop}), seen through
 * Jackson-serialisable snapshots so that this module does not depend on the trainer. Both methods are called on
 * request threads: they must return at once, never wait for training, and never return NaN or infinite numbers.
 * Admins only ever see these (model versions must not reach annotators).
 */
public interface ServedLoop {
    /** A small snapshot the dashboard polls: versions, counters, whether training runs, the last error. */
    Object status();

    /** Everything the dashboard charts: judgements over time, reward-model accuracy, policy rounds, samples. */
    Object history();

    /** A loop from two snapshot suppliers, e.g. {@code ServedLoop.of(liveLoop::status, liveLoop::history)}. */
    static ServedLoop of(Supplier<?> status, Supplier<?> history) {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(history, "history");
        return new ServedLoop() {
            @Override
            public Object status() { return status.get(); }

            @Override
            public Object history() { return history.get(); }
        };
    }
}
