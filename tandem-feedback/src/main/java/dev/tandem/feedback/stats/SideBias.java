package dev.tandem.feedback.stats;

/**
 * How often the response shown first ("A") wins a pairwise judgement. Only judgements whose display order was
 * chosen by the store (annotator kinds other than external-import) and that picked A or B count.
 *
 * @param decided pairwise judgements that chose A or B
 * @param shownFirstWins of those, how many chose A
 */
public record SideBias(int decided, int shownFirstWins) {
    /** Fraction of decided judgements won by the side shown as A; about 0.5 when unbiased; NaN if none. */
    public double shownFirstWinRate() { return decided == 0 ? Double.NaN : (double) shownFirstWins / decided; }
}
