package dev.tandem.feedback.io;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One {@code FORMAT:PATH} argument.
 *
 * @param format the file format
 * @param path a file or a directory of such files
 */
public record ImportSource(PreferenceFormat format, Path path) {
    public ImportSource {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(path, "path");
    }

    /** Parses {@code hh-rlhf:/data/x.jsonl.gz}; IllegalArgumentException names what is wrong. */
    public static ImportSource parse(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0 || colon == spec.length() - 1)
            throw new IllegalArgumentException("expected FORMAT:PATH (FORMAT = hh-rlhf, oasst, ukpconvarg or jsonl), got '" + spec + "'");
        return new ImportSource(PreferenceFormat.fromId(spec.substring(0, colon)), Path.of(spec.substring(colon + 1)));
    }

    @Override public String toString() { return format.id() + ":" + path; }
}
