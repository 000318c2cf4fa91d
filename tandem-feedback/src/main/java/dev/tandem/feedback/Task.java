package dev.tandem.feedback;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One unit of labelling work: a prompt, the responses to judge (in the task's canonical order) and the kind.
 *
 * @param id store id
 * @param datasetId owning dataset
 * @param promptId the prompt
 * @param kind what is asked
 * @param responseIds the responses, canonical order (size within the kind's bounds)
 * @param priority higher is served first (e.g. set by an active-learning picker); default 0
 * @param gold true for a honeypot with a known answer
 * @param goldAnswer the known answer in task order (non-null iff gold)
 * @param judgementCount judgements stored so far, not counting those of AI judges (they take no overlap slot)
 * @param createdAt creation time
 */
public record Task(long id, long datasetId, long promptId, JudgementKind kind, List<Long> responseIds, int priority,
                   boolean gold, JudgementPayload goldAnswer, int judgementCount, Instant createdAt) {
    public Task {
        Objects.requireNonNull(kind, "kind");
        responseIds = List.copyOf(responseIds);
        Tasks.checkShape(kind, responseIds, gold, goldAnswer);
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
