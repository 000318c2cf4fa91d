package dev.tandem.feedback;

import java.util.List;

/**
 * Exactly what the annotator saw: the prompt text and the responses in display order (A first).
 *
 * @param prompt the prompt text as displayed
 * @param responseIds response ids in display order
 * @param responseTexts response texts in display order
 */
public record Shown(String prompt, List<Long> responseIds, List<String> responseTexts) {
    public Shown {
        Validate.text(prompt, "shown prompt");
        responseIds = List.copyOf(responseIds);
        responseTexts = List.copyOf(responseTexts);
        if (responseIds.size() != responseTexts.size())
            throw new IllegalArgumentException("shown ids and texts differ in length");
    }
}
