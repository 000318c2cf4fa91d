package dev.tandem.feedback;

import java.time.Instant;
import java.util.Objects;

/**
 * A prompt (for multi-turn data, the whole conversation up to the turn being judged).
 *
 * @param id store id
 * @param datasetId owning dataset
 * @param text the exact prompt text
 * @param groupKey optional grouping (debate name, OASST tree id), or null
 * @param source optional provenance such as {@code file.jsonl:17}, or null
 * @param createdAt creation time
 */
public record Prompt(long id, long datasetId, String text, String groupKey, String source, Instant createdAt) {
    public Prompt {
        Validate.text(text, "prompt text");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
