package dev.tandem.feedback;

/**
 * A store operation that cannot be done as asked. {@link #reason()} maps to an HTTP status
 * (NOT_FOUND 404, CONFLICT 409, INVALID 400, FORBIDDEN 403). Storage failures are {@link StorageException}.
 */
public class FeedbackException extends RuntimeException {
    public enum Reason { NOT_FOUND, CONFLICT, INVALID, FORBIDDEN }

    private final Reason reason;

    public FeedbackException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() { return reason; }

    public static FeedbackException notFound(String what) { return new FeedbackException(Reason.NOT_FOUND, what + " not found"); }
    public static FeedbackException conflict(String msg) { return new FeedbackException(Reason.CONFLICT, msg); }
    public static FeedbackException invalid(String msg) { return new FeedbackException(Reason.INVALID, msg); }
    public static FeedbackException forbidden(String msg) { return new FeedbackException(Reason.FORBIDDEN, msg); }
}
