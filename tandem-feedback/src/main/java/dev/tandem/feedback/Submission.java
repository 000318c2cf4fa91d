package dev.tandem.feedback;

import java.util.Objects;

/**
 * An annotator's answer to an assignment.
 *
 * @param assignmentId the lease being answered (from {@link AssignedTask#assignment()})
 * @param clientId idempotency key chosen by the client (e.g. a UUID); resubmitting the same key returns the stored judgement
 * @param payload the answer, positions in the order shown
 * @param durationMillis time the annotator spent, >= 0
 * @param confidence optional, in [0, 1]
 */
public record Submission(long assignmentId, String clientId, JudgementPayload payload, long durationMillis, Double confidence) {
    public Submission {
        Validate.name(clientId, "clientId");
        Objects.requireNonNull(payload, "payload");
        if (durationMillis < 0) throw new IllegalArgumentException("durationMillis must be >= 0");
        checkConfidence(confidence);
    }

    static void checkConfidence(Double c) {
        if (c != null && !(c >= 0 && c <= 1)) throw new IllegalArgumentException("confidence must be in [0, 1], got " + c);
    }
}
