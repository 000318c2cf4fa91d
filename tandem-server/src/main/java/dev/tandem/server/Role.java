package dev.tandem.server;

/** Who may call a route. */
public enum Role {
    /** No token needed. */
    PUBLIC,
    /** Any valid token (annotators, admins, simulated annotators, AI judges). */
    ANNOTATOR,
    /** Tokens of admin annotators only; others get 403. */
    ADMIN
}
