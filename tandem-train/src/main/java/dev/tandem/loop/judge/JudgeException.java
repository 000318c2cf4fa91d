package dev.tandem.loop.judge;

/** An AI judge could not give an answer; nothing is stored for the pair. The message says why. */
public final class JudgeException extends RuntimeException {
    public JudgeException(String message) { super(message); }

    public JudgeException(String message, Throwable cause) { super(message, cause); }
}
