package dev.tandem.server;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import java.util.Objects;

/**
 * The caller of an authenticated request.
 *
 * @param annotator who the token belongs to
 * @param tokenKey a key identifying the token (for rate limiting); never the token itself
 */
public record Principal(Annotator annotator, String tokenKey) {
    public Principal {
        Objects.requireNonNull(annotator, "annotator");
        Objects.requireNonNull(tokenKey, "tokenKey");
    }

    public long id() { return annotator.id(); }

    public boolean isAdmin() { return annotator.kind() == AnnotatorKind.ADMIN; }

    /** Admins may act on anyone; others only on themselves. */
    public void requireSelfOrAdmin(long annotatorId) {
        if (!isAdmin() && annotatorId != id())
            throw ApiException.forbidden("annotators can only read their own judgements");
    }
}
