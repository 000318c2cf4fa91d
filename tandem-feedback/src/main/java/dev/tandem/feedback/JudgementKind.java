package dev.tandem.feedback;

/** What a task asks for; each kind has one {@link JudgementPayload} record. */
public enum JudgementKind {
    /** Prompt plus two responses: A better, B better, tie or both bad. Exactly 2 responses. */
    PAIRWISE(2, 2),
    /** Order K responses (2..9), ties allowed. */
    RANKING(2, 9),
    /** A 1–7 Likert score plus flags for one response. Exactly 1 response. */
    RATING(1, 1),
    /** Write the ideal response (0 responses) or edit a given one (1 response). Feeds SFT. */
    DEMONSTRATION(0, 1);

    private final int minResponses;
    private final int maxResponses;

    JudgementKind(int minResponses, int maxResponses) {
        this.minResponses = minResponses;
        this.maxResponses = maxResponses;
    }

    public int minResponses() { return minResponses; }
    public int maxResponses() { return maxResponses; }

    /** Lower-case stored/wire name, e.g. {@code pairwise}. */
    public String wireName() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static JudgementKind fromWire(String s) { return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT)); }
}
