package dev.tandem.feedback;

import java.util.Objects;

/**
 * Result of a submission.
 *
 * @param judgement the stored judgement (the earlier one for a repeated client id)
 * @param duplicate true when the client id had been submitted before and nothing new was stored
 */
public record SubmitResult(Judgement judgement, boolean duplicate) {
    public SubmitResult {
        Objects.requireNonNull(judgement, "judgement");
    }
}
