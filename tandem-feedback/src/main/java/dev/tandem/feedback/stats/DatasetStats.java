package dev.tandem.feedback.stats;

import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.store.DatasetSummary;
import java.util.List;
import java.util.Map;

/**
 * Everything the admin page shows about one dataset. Agreement uses non-gold tasks only, with labels in the task's
 * canonical order ({@link dev.tandem.feedback.JudgementPayload#label()}); demonstrations are excluded from agreement.
 * AI judges' labels appear only in {@code annotators} and {@code pairs} (how often a person agrees with an AI judge);
 * the dataset's agreement, label distribution and side bias are the people's.
 *
 * @param summary task counts
 * @param annotators per-annotator throughput and gold accuracy within this dataset
 * @param percentAgreement mean pairwise percent agreement over tasks with two or more judgements (NaN if none)
 * @param krippendorffAlpha nominal alpha over all non-gold tasks (NaN if undefined)
 * @param pairs Cohen's kappa for each pair of annotators sharing at least one task
 * @param labelDistribution per kind, label to count (pairwise labels in TASK order: a, b, tie, both-bad)
 * @param sideBias how often the side shown as A wins
 */
public record DatasetStats(DatasetSummary summary, List<AnnotatorStats> annotators, double percentAgreement,
                           double krippendorffAlpha, List<PairAgreement> pairs,
                           Map<JudgementKind, Map<String, Integer>> labelDistribution, SideBias sideBias) {}
