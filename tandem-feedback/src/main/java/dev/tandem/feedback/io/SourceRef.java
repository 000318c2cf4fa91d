package dev.tandem.feedback.io;

import java.util.Objects;

/**
 * Where a record came from.
 *
 * @param file the file name as read (a path string)
 * @param line 1-based line number
 * @param item optional finer key inside the line (an OASST parent message id, a UKPConvArg pair id), or null
 */
public record SourceRef(String file, long line, String item) {
    public SourceRef {
        Objects.requireNonNull(file, "file");
        if (line < 1) throw new IllegalArgumentException("line must be >= 1");
    }

    /** {@code file:line} or {@code file:line#item}. */
    @Override
    public String toString() {
        return file + ":" + line + (item == null ? "" : "#" + item);
    }
}
