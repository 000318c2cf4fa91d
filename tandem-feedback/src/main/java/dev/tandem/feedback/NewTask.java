package dev.tandem.feedback;

import java.util.List;
import java.util.Objects;

/**
 * A task to create.
 *
 * @param promptId the prompt (must belong to the dataset)
 * @param kind what is asked
 * @param responseIds responses of that prompt, in canonical order
 * @param priority higher first, default 0
 * @param goldAnswer null for a normal task; the known answer (in task order) for a honeypot
 */
public record NewTask(long promptId, JudgementKind kind, List<Long> responseIds, int priority, JudgementPayload goldAnswer) {
    public NewTask {
        Objects.requireNonNull(kind, "kind");
        responseIds = List.copyOf(responseIds);
        Tasks.checkShape(kind, responseIds, goldAnswer != null, goldAnswer);
    }

    public static NewTask of(long promptId, JudgementKind kind, List<Long> responseIds) {
        return new NewTask(promptId, kind, responseIds, 0, null);
    }

    public static NewTask gold(long promptId, JudgementKind kind, List<Long> responseIds, JudgementPayload answer) {
        return new NewTask(promptId, kind, responseIds, 0, Objects.requireNonNull(answer, "answer"));
    }

    public NewTask withPriority(int p) { return new NewTask(promptId, kind, responseIds, p, goldAnswer); }
}
