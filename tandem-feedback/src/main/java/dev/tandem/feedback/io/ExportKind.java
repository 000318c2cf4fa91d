package dev.tandem.feedback.io;

/** What to export. */
public enum ExportKind {
    /** {@code {"prompt","chosen","rejected"}} per consensus pair (TRL); pairwise tasks plus rankings expanded to pairs. */
    PAIRS,
    /** {@code {"prompt","responses","ranks"}} per ranking task, ranks dense, 0 = best. */
    RANKINGS,
    /** {@code {"prompt","response","score","scores","flags"}} per rating task (score = mean, flags = counts). */
    RATINGS,
    /** {@code {"prompt","completion"}} per demonstration judgement (TRL prompt-completion, for SFT). */
    DEMONSTRATIONS;

    public static ExportKind fromId(String s) {
        try {
            return valueOf(s.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown export kind '" + s + "': use pairs, rankings, ratings or demonstrations");
        }
    }
}
