package dev.tandem.feedback.io;

import java.util.Objects;

/**
 * Export filters.
 *
 * @param dataset dataset name
 * @param kind what to export
 * @param minAgreement keep a task only if at least this fraction of its (eligible) judgements give the consensus
 *     label, in [0, 1]; a task judged once has agreement 1
 * @param minGoldAccuracy drop judgements of annotators whose gold accuracy is below this, or null for no filter
 *     (annotators who have judged no gold task are kept)
 * @param expandRankings for {@link ExportKind#PAIRS}: also expand ranking tasks into pairs
 * @param includeAiJudges also count the labels of AI judges (annotator kind {@code ai-judge}) in each task's
 *     consensus; off by default, so exported training data is what people (or simulated annotators and imports)
 *     said, and a task only an AI judged is not exported
 */
public record ExportOptions(String dataset, ExportKind kind, double minAgreement, Double minGoldAccuracy, boolean expandRankings,
                            boolean includeAiJudges) {
    public ExportOptions {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(kind, "kind");
        if (!(minAgreement >= 0 && minAgreement <= 1)) throw new IllegalArgumentException("min agreement must be in [0, 1], got " + minAgreement);
        if (minGoldAccuracy != null && !(minGoldAccuracy >= 0 && minGoldAccuracy <= 1))
            throw new IllegalArgumentException("min gold accuracy must be in [0, 1], got " + minGoldAccuracy);
    }

    /** Without AI judges' labels. */
    public ExportOptions(String dataset, ExportKind kind, double minAgreement, Double minGoldAccuracy, boolean expandRankings) {
        this(dataset, kind, minAgreement, minGoldAccuracy, expandRankings, false);
    }

    public static ExportOptions of(String dataset, ExportKind kind) {
        return new ExportOptions(dataset, kind, 0, null, true, false);
    }

    public ExportOptions withMinAgreement(double x) { return new ExportOptions(dataset, kind, x, minGoldAccuracy, expandRankings, includeAiJudges); }
    public ExportOptions withMinGoldAccuracy(Double x) { return new ExportOptions(dataset, kind, minAgreement, x, expandRankings, includeAiJudges); }
    public ExportOptions withExpandRankings(boolean b) { return new ExportOptions(dataset, kind, minAgreement, minGoldAccuracy, b, includeAiJudges); }
    public ExportOptions withIncludeAiJudges(boolean b) { return new ExportOptions(dataset, kind, minAgreement, minGoldAccuracy, expandRankings, b); }
}
