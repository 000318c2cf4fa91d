package dev.tandem.feedback;

import java.time.Instant;
import java.util.Objects;

/**
 * Anyone or anything that makes judgements.
 *
 * @param id store id
 * @param name unique name (for imports {@code import:FORMAT})
 * @param kind human, admin, external import, simulated or AI judge
 * @param createdAt when the annotator was created
 */
public record Annotator(long id, String name, AnnotatorKind kind, Instant createdAt) {
    public Annotator {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(createdAt, "createdAt");
        Validate.name(name, "annotator name");
    }
}
