package dev.tandem.feedback;

import java.util.HashSet;
import java.util.List;

/** Shape checks shared by {@link Task} and {@link NewTask}. */
final class Tasks {
    private Tasks() {}

    static void checkShape(JudgementKind kind, List<Long> responseIds, boolean gold, JudgementPayload goldAnswer) {
        int n = responseIds.size();
        if (n < kind.minResponses() || n > kind.maxResponses())
            throw new IllegalArgumentException(kind.wireName() + " task needs " + kind.minResponses() + ".." + kind.maxResponses()
                    + " responses, got " + n);
        if (new HashSet<>(responseIds).size() != n) throw new IllegalArgumentException("task lists a response twice: " + responseIds);
        if (gold != (goldAnswer != null)) throw new IllegalArgumentException("a gold task needs a gold answer and only a gold task has one");
        if (goldAnswer != null) {
            if (kind == JudgementKind.DEMONSTRATION) throw new IllegalArgumentException("demonstration tasks cannot be gold");
            if (goldAnswer.kind() != kind) throw new IllegalArgumentException("gold answer is " + goldAnswer.kind() + " but task is " + kind);
            if (goldAnswer instanceof JudgementPayload.Ranking r && r.ranks().size() != n)
                throw new IllegalArgumentException("gold ranking has " + r.ranks().size() + " ranks for " + n + " responses");
        }
    }
}
