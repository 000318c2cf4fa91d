package dev.tandem.feedback;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A task leased to one annotator, with the display order chosen for them.
 *
 * @param id store id
 * @param taskId the task
 * @param annotatorId the annotator
 * @param datasetId the task's dataset
 * @param shownOrder response ids in the (random) order shown to this annotator
 * @param state leased, submitted, expired or released
 * @param leasedAt when it was handed out
 * @param expiresAt when an unsubmitted lease returns the task to the queue
 */
public record Assignment(long id, long taskId, long annotatorId, long datasetId, List<Long> shownOrder, State state,
                         Instant leasedAt, Instant expiresAt) {
    public Assignment {
        shownOrder = List.copyOf(shownOrder);
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(leasedAt, "leasedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** Lifecycle of an assignment. */
    public enum State {
        /** Reserved for the annotator until {@code expiresAt}. */
        LEASED,
        /** The annotator's judgement is stored. */
        SUBMITTED,
        /** The lease ran out; the slot went back to the queue. A late submission is still accepted. */
        EXPIRED,
        /** The annotator skipped the task; the slot went back to the queue. */
        RELEASED;

        public String wireName() { return name().toLowerCase(java.util.Locale.ROOT); }
        public static State fromWire(String s) { return valueOf(s.toUpperCase(java.util.Locale.ROOT)); }
    }
}
