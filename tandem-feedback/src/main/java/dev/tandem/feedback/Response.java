package dev.tandem.feedback;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A candidate response to a prompt.
 *
 * @param id store id
 * @param promptId the prompt it answers
 * @param text the exact text
 * @param model who generated it: model id, version and generation settings
 * @param createdAt creation time
 */
public record Response(long id, long promptId, String text, ModelInfo model, Instant createdAt) {
    public Response {
        Validate.text(text, "response text");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /**
     * Provenance of a response.
     *
     * @param modelId e.g. {@code stories260K} or {@code unknown}
     * @param modelVersion e.g. a checkpoint hash, or empty
     * @param generationSettings e.g. {@code temperature=0.7}, {@code top_p=0.9}, {@code seed=1}
     */
    public record ModelInfo(String modelId, String modelVersion, Map<String, String> generationSettings) {
        public ModelInfo {
            modelId = modelId == null || modelId.isBlank() ? "unknown" : modelId;
            modelVersion = modelVersion == null ? "" : modelVersion;
            generationSettings = Map.copyOf(generationSettings == null ? Map.of() : generationSettings);
        }

        /** A response whose origin is not known (e.g. imported human-written text). */
        public static ModelInfo unknown() { return new ModelInfo("unknown", "", Map.of()); }
    }
}
