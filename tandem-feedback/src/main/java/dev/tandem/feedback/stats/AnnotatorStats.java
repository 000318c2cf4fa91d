package dev.tandem.feedback.stats;

import dev.tandem.feedback.Annotator;

/**
 * Throughput and quality of one annotator.
 *
 * @param annotator who
 * @param judgements all judgements in scope
 * @param today judgements made today (in the zone passed to the stats call)
 * @param medianSeconds median time per judgement, NaN if none
 * @param goldJudged judgements on gold tasks
 * @param goldCorrect of those, how many matched the known answer
 */
public record AnnotatorStats(Annotator annotator, int judgements, int today, double medianSeconds, int goldJudged, int goldCorrect) {
    /** Accuracy on gold tasks, NaN when the annotator has judged none. */
    public double goldAccuracy() { return goldJudged == 0 ? Double.NaN : (double) goldCorrect / goldJudged; }
}
