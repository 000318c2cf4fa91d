package dev.tandem.server;

/**
 * An error answered as JSON {@code {"error": code, "field": name-or-null, "reason": text}} with an HTTP status.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String error;
    private final String field;

    public ApiException(int status, String error, String field, String reason) {
        super(reason);
        this.status = status;
        this.error = error;
        this.field = field;
    }

    public int status() { return status; }
    public String error() { return error; }
    public String field() { return field; }
    public String reason() { return getMessage(); }

    /** 400: a field of the request is missing or wrong. */
    public static ApiException invalid(String field, String reason) { return new ApiException(400, "validation", field, reason); }
    public static ApiException unauthorized(String reason) { return new ApiException(401, "unauthorized", null, reason); }
    public static ApiException forbidden(String reason) { return new ApiException(403, "forbidden", null, reason); }
    public static ApiException notFound(String reason) { return new ApiException(404, "not_found", null, reason); }
    public static ApiException conflict(String reason) { return new ApiException(409, "conflict", null, reason); }
    public static ApiException tooLarge(long max) {
        return new ApiException(413, "too_large", null, "request body is larger than " + max + " bytes");
    }
}
