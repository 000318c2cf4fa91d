package dev.tandem.feedback.io;

/**
 * Malformed input: names the file, the line and the field. Message: {@code FILE:LINE: field 'F': what is wrong}.
 */
public final class PreferenceFormatException extends RuntimeException {
    private final String file;
    private final long line;
    private final String field;

    public PreferenceFormatException(String file, long line, String field, String problem) {
        super(file + ":" + line + ": " + (field == null ? "" : "field '" + field + "': ") + problem);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public String file() { return file; }
    public long line() { return line; }
    /** The offending field, or null when the line as a whole is bad (e.g. not JSON). */
    public String field() { return field; }
}
