package dev.tandem.server;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.store.FeedbackStore;
import java.util.Optional;

/** Creates the first admin of an empty store. Its token can be read only at that moment. */
final class AdminBootstrap {
    private AdminBootstrap() {}

    /**
     * If the store has no admin yet, creates one (named {@code admin}, or {@code admin-2}… if that name is taken by a
     * non-admin) and returns a fresh token for it; otherwise returns empty and issues nothing.
     */
    static Optional<String> ensureAdmin(FeedbackStore store) {
        if (store.annotators().stream().anyMatch(a -> a.kind() == AnnotatorKind.ADMIN)) return Optional.empty();
        for (int i = 1; i < 100; i++) {
            String name = i == 1 ? "admin" : "admin-" + i;
            if (store.annotatorByName(name).isPresent()) continue;
            Annotator admin;
            try {
                admin = store.createAnnotator(name, AnnotatorKind.ADMIN);
            } catch (FeedbackException e) {
                if (e.reason() == FeedbackException.Reason.CONFLICT) continue; // another process just took the name
                throw e;
            }
            return Optional.of(store.issueToken(admin.id(), "bootstrap admin"));
        }
        throw new IllegalStateException("cannot find a free name for the first admin");
    }
}
