package dev.tandem.feedback;

import java.time.Instant;
import java.util.Objects;

/**
 * A stored answer. The payload's positions refer to {@link Shown#responseIds()} (the display order);
 * {@link #inTaskOrder(Task)} converts to the task's canonical order.
 *
 * @param id store id
 * @param datasetId dataset
 * @param taskId task
 * @param annotatorId who answered
 * @param assignmentId the lease it answered, or null (imports, direct writes)
 * @param clientId the client-supplied idempotency key, unique per annotator
 * @param payload the answer, in display order
 * @param shown exactly what was shown
 * @param createdAt when it was stored
 * @param durationMillis how long the annotator took (client-measured), >= 0
 * @param confidence optional confidence in [0, 1] (AI judges), or null
 * @param goldCorrect for gold tasks whether it matched the known answer, otherwise null
 */
public record Judgement(long id, long datasetId, long taskId, long annotatorId, Long assignmentId, String clientId,
                        JudgementPayload payload, Shown shown, Instant createdAt, long durationMillis, Double confidence,
                        Boolean goldCorrect) {
    public Judgement {
        Validate.name(clientId, "clientId");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(shown, "shown");
        Objects.requireNonNull(createdAt, "createdAt");
        if (durationMillis < 0) throw new IllegalArgumentException("durationMillis must be >= 0");
        Submission.checkConfidence(confidence);
    }

    /** The payload re-expressed in the task's canonical response order. */
    public JudgementPayload inTaskOrder(Task task) {
        if (task.id() != taskId) throw new IllegalArgumentException("judgement " + id + " is not for task " + task.id());
        return payload.inOrder(shown.responseIds(), task.responseIds());
    }
}
