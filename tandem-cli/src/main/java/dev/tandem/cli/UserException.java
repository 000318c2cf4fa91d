package dev.tandem.cli;

/** An error caused by the user's input: printed as one line on stderr, exit code 2, no stack trace. */
public final class UserException extends RuntimeException {
    public UserException(String message) { super(message); }
    public UserException(String message, Throwable cause) { super(message, cause); }
}
