package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.PayloadCodec;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.stats.AnnotatorStats;
import dev.tandem.feedback.stats.DatasetStats;
import dev.tandem.feedback.stats.PairAgreement;
import dev.tandem.feedback.store.DatasetSummary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the API. Domain records are never serialised directly: what an annotator sees is chosen here
 * (no model ids or versions, no gold flags), and NaN statistics become {@code null}.
 */
final class Views {
    private Views() {}

    record SettingsView(int overlap, double goldRate, long leaseTimeoutSeconds, List<String> ratingFlags) {
        static SettingsView of(DatasetSettings s) {
            return new SettingsView(s.overlap(), s.goldRate(), s.leaseTimeout().toSeconds(), s.ratingFlags());
        }
    }

    record DatasetView(long id, String name, String description, SettingsView settings, String createdAt, Counts counts) {
        static DatasetView of(Dataset d, DatasetSummary s) {
            return new DatasetView(d.id(), d.name(), d.description(), SettingsView.of(d.settings()), iso(d.createdAt()),
                    s == null ? null : Counts.of(s));
        }
    }

    record Counts(int prompts, int tasks, int open, int inProgress, int done, int gold, int judgements) {
        static Counts of(DatasetSummary s) {
            return new Counts(s.prompts(), s.tasks(), s.open(), s.inProgress(), s.done(), s.gold(), s.judgements());
        }
    }

    record AnnotatorView(long id, String name, String kind, String createdAt) {
        static AnnotatorView of(Annotator a) { return new AnnotatorView(a.id(), a.name(), a.kind().wireName(), iso(a.createdAt())); }
    }

    record MeView(long id, String name, String kind, boolean admin, int judgements, int today) {}

    /** A response as shown: its position label and text, nothing about the model that wrote it. */
    record ShownResponse(String label, String text) {}

    record AssignmentView(long id, String expiresAt) {}

    record TaskRef(long id, long datasetId, String kind) {}

    /** What an annotator needs to render a task, in display order. */
    record AssignedView(AssignmentView assignment, TaskRef task, String prompt, List<ShownResponse> responses,
                        List<String> ratingFlags) {
        static AssignedView of(AssignedTask t) {
            List<ShownResponse> rs = new ArrayList<>();
            for (int i = 0; i < t.shownResponses().size(); i++)
                rs.add(new ShownResponse(label(t.task().kind(), i), t.shownResponses().get(i).text()));
            return new AssignedView(new AssignmentView(t.assignment().id(), iso(t.assignment().expiresAt())),
                    new TaskRef(t.task().id(), t.task().datasetId(), t.task().kind().wireName()), t.prompt().text(), rs,
                    t.task().kind() == JudgementKind.RATING ? t.ratingFlags() : List.of());
        }

        private static String label(JudgementKind kind, int i) {
            return kind == JudgementKind.PAIRWISE ? String.valueOf((char) ('A' + i)) : String.valueOf(i + 1);
        }
    }

    /** The answer to a submission; identical for a retried client id. */
    record SubmittedView(long id, long taskId, Long assignmentId, String clientId, String createdAt) {
        static SubmittedView of(Judgement j) {
            return new SubmittedView(j.id(), j.taskId(), j.assignmentId(), j.clientId(), iso(j.createdAt()));
        }
    }

    /**
     * A stored judgement. {@code payload} refers to the order shown ({@code shown}); {@code goldCorrect} is only
     * included for admins (annotators must not learn which tasks were gold).
     */
    record JudgementView(long id, long datasetId, long taskId, long annotatorId, Long assignmentId, String clientId,
                         JsonNode payload, ShownView shown, String createdAt, long durationMillis, Double confidence,
                         Boolean goldCorrect) {
        static JudgementView of(Judgement j, PayloadCodec codec, boolean admin) {
            return new JudgementView(j.id(), j.datasetId(), j.taskId(), j.annotatorId(), j.assignmentId(), j.clientId(),
                    codec.toJsonNode(j.payload()), new ShownView(j.shown().prompt(), j.shown().responseTexts()),
                    iso(j.createdAt()), j.durationMillis(), j.confidence(), admin ? j.goldCorrect() : null);
        }
    }

    record ShownView(String prompt, List<String> responses) {}

    record TaskView(long id, long promptId, String kind, List<Long> responseIds, int priority, boolean gold,
                    int judgementCount, String createdAt) {
        static TaskView of(Task t) {
            return new TaskView(t.id(), t.promptId(), t.kind().wireName(), t.responseIds(), t.priority(), t.gold(),
                    t.judgementCount(), iso(t.createdAt()));
        }
    }

    record AnnotatorStatsView(long id, String name, String kind, int judgements, int today, Double medianSeconds,
                              Double judgementsPerHour, int goldJudged, int goldCorrect, Double goldAccuracy) {
        static AnnotatorStatsView of(AnnotatorStats s) {
            double perHour = s.medianSeconds() > 0 ? 3600 / s.medianSeconds() : Double.NaN;
            return new AnnotatorStatsView(s.annotator().id(), s.annotator().name(), s.annotator().kind().wireName(),
                    s.judgements(), s.today(), num(s.medianSeconds()), num(perHour), s.goldJudged(), s.goldCorrect(),
                    num(s.goldAccuracy()));
        }
    }

    record PairView(long annotatorA, String nameA, long annotatorB, String nameB, int sharedTasks,
                    Double percentAgreement, Double cohenKappa) {}

    record SideBiasView(int decided, int shownFirstWins, Double shownFirstWinRate) {}

    record DatasetStatsView(DatasetView dataset, List<AnnotatorStatsView> annotators, Double percentAgreement,
                            Double krippendorffAlpha, List<PairView> pairs, Map<String, Map<String, Integer>> labelDistribution,
                            SideBiasView sideBias) {
        static DatasetStatsView of(DatasetStats s, Map<Long, String> names) {
            List<PairView> pairs = new ArrayList<>();
            for (PairAgreement p : s.pairs())
                pairs.add(new PairView(p.annotatorA(), names.get(p.annotatorA()), p.annotatorB(), names.get(p.annotatorB()),
                        p.sharedTasks(), num(p.percentAgreement()), num(p.cohenKappa())));
            Map<String, Map<String, Integer>> dist = new LinkedHashMap<>();
            s.labelDistribution().forEach((k, v) -> dist.put(k.wireName(), v));
            return new DatasetStatsView(DatasetView.of(s.summary().dataset(), s.summary()),
                    s.annotators().stream().map(AnnotatorStatsView::of).toList(), num(s.percentAgreement()),
                    num(s.krippendorffAlpha()), pairs, dist,
                    new SideBiasView(s.sideBias().decided(), s.sideBias().shownFirstWins(), num(s.sideBias().shownFirstWinRate())));
        }
    }

    record OverviewView(List<DatasetView> datasets, List<AnnotatorStatsView> annotators) {}

    record CreatedAnnotatorView(AnnotatorView annotator, String token) {}

    record TokenView(long annotatorId, String token) {}

    record CreatedTasksView(int prompts, int responses, int tasks, List<Long> taskIds) {}

    /** JSON has no NaN: undefined statistics are null. */
    static Double num(double v) { return Double.isFinite(v) ? v : null; }

    static String iso(Instant t) { return t == null ? null : t.toString(); }
}
