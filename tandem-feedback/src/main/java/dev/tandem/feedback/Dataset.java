package dev.tandem.feedback;

import java.time.Instant;
import java.util.Objects;

/**
 * A named collection of prompts, responses and tasks with its own labelling settings.
 *
 * @param id store id
 * @param name unique name
 * @param description free text, may be empty
 * @param settings overlap, gold rate, lease timeout, rating flags
 * @param createdAt creation time
 */
public record Dataset(long id, String name, String description, DatasetSettings settings, Instant createdAt) {
    public Dataset {
        Validate.name(name, "dataset name");
        description = description == null ? "" : description;
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
