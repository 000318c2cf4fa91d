package dev.tandem.feedback.stats;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.store.DatasetSummary;
import dev.tandem.feedback.store.FeedbackStore;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Admin-page statistics computed from a store's judgements (read-only). */
public final class FeedbackStats {
    private final FeedbackStore store;
    private final Clock clock;

    public FeedbackStats(FeedbackStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public FeedbackStats(FeedbackStore store) { this(store, Clock.systemUTC()); }

    /** Task counts for every dataset. */
    public List<DatasetSummary> datasets() { return store.datasetSummaries(); }

    /** Throughput and gold accuracy of every annotator who has judgements, over all datasets. */
    public List<AnnotatorStats> annotators(ZoneId zone) {
        List<AnnotatorStats> out = new ArrayList<>();
        for (Annotator a : store.annotators()) {
            List<Judgement> js = store.judgementsBy(a.id());
            if (!js.isEmpty()) out.add(annotatorStats(a, js, zone));
        }
        return out;
    }

    /** Full statistics of one dataset; NOT_FOUND for an unknown id. */
    public DatasetStats dataset(long datasetId, ZoneId zone) {
        DatasetSummary summary = store.datasetSummaries().stream().filter(s -> s.dataset().id() == datasetId).findFirst()
                .orElseThrow(() -> FeedbackException.notFound("dataset " + datasetId));
        Map<Long, Task> tasks = store.tasks(datasetId).stream().collect(Collectors.toMap(Task::id, Function.identity()));
        List<Judgement> judgements = store.judgements(datasetId);
        Map<Long, Annotator> annotators = store.annotators().stream().collect(Collectors.toMap(Annotator::id, Function.identity()));

        Map<Long, List<Judgement>> byAnnotator = judgements.stream().collect(Collectors.groupingBy(Judgement::annotatorId, TreeMap::new, Collectors.toList()));
        List<AnnotatorStats> perAnnotator = new ArrayList<>();
        byAnnotator.forEach((id, js) -> perAnnotator.add(annotatorStats(annotators.get(id), js, zone)));

        // labels per task in canonical order, non-gold, no demonstrations; AI judges count in the pairwise agreements
        // (person vs AI judge is worth seeing) but not in the dataset's agreement, label distribution or side bias,
        // which describe the people's labels
        Map<Long, Map<Long, String>> labels = new TreeMap<>(); // task -> annotator -> label, without AI judges
        Map<Long, Map<Long, String>> allLabels = new TreeMap<>(); // the same with AI judges
        Map<JudgementKind, Map<String, Integer>> distribution = new EnumMap<>(JudgementKind.class);
        int decided = 0, firstWins = 0;
        for (Judgement j : judgements) {
            Task t = tasks.get(j.taskId());
            JudgementPayload canonical = j.inTaskOrder(t);
            Annotator who = annotators.get(j.annotatorId());
            boolean ai = who.kind() == AnnotatorKind.AI_JUDGE;
            if (t.kind() != JudgementKind.DEMONSTRATION) {
                if (!ai) distribution.computeIfAbsent(t.kind(), k -> new TreeMap<>()).merge(canonical.label(), 1, Integer::sum);
                if (!t.gold()) {
                    allLabels.computeIfAbsent(t.id(), k -> new TreeMap<>()).put(j.annotatorId(), canonical.label());
                    if (!ai) labels.computeIfAbsent(t.id(), k -> new TreeMap<>()).put(j.annotatorId(), canonical.label());
                }
            }
            if (!ai && j.payload() instanceof JudgementPayload.Pairwise p && who.kind() != AnnotatorKind.EXTERNAL_IMPORT
                    && (p.choice() == JudgementPayload.Choice.A || p.choice() == JudgementPayload.Choice.B)) {
                decided++;
                if (p.choice() == JudgementPayload.Choice.A) firstWins++;
            }
        }
        List<List<String>> units = labels.values().stream().map(m -> List.copyOf(m.values())).toList();
        return new DatasetStats(summary, perAnnotator, Agreement.meanPairwiseAgreement(units),
                Agreement.krippendorffAlphaNominal(units), pairAgreements(allLabels), distribution, new SideBias(decided, firstWins));
    }

    /** Cohen's kappa and percent agreement for every pair of annotators that share tasks. */
    static List<PairAgreement> pairAgreements(Map<Long, Map<Long, String>> labelsByTask) {
        Map<List<Long>, List<String[]>> shared = new TreeMap<>((x, y) -> x.get(0).equals(y.get(0)) ? Long.compare(x.get(1), y.get(1)) : Long.compare(x.get(0), y.get(0)));
        for (Map<Long, String> byAnnotator : labelsByTask.values()) {
            List<Long> ids = new ArrayList<>(byAnnotator.keySet()); // sorted (TreeMap)
            for (int i = 0; i < ids.size(); i++)
                for (int k = i + 1; k < ids.size(); k++)
                    shared.computeIfAbsent(List.of(ids.get(i), ids.get(k)), x -> new ArrayList<>())
                            .add(new String[] {byAnnotator.get(ids.get(i)), byAnnotator.get(ids.get(k))});
        }
        List<PairAgreement> out = new ArrayList<>();
        shared.forEach((pair, rows) -> {
            List<String> a = rows.stream().map(r -> r[0]).toList(), b = rows.stream().map(r -> r[1]).toList();
            out.add(new PairAgreement(pair.get(0), pair.get(1), rows.size(), Agreement.percentAgreement(a, b), Agreement.cohenKappa(a, b)));
        });
        return out;
    }

    private AnnotatorStats annotatorStats(Annotator a, Collection<Judgement> js, ZoneId zone) {
        LocalDate today = LocalDate.now(clock.withZone(zone));
        int todayCount = 0, goldJudged = 0, goldCorrect = 0;
        double[] seconds = new double[js.size()];
        int i = 0;
        for (Judgement j : js) {
            if (LocalDate.ofInstant(j.createdAt(), zone).equals(today)) todayCount++;
            if (j.goldCorrect() != null) {
                goldJudged++;
                if (j.goldCorrect()) goldCorrect++;
            }
            seconds[i++] = j.durationMillis() / 1000.0;
        }
        return new AnnotatorStats(a, js.size(), todayCount, median(seconds), goldJudged, goldCorrect);
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /** Gold accuracy per annotator id over all their gold judgements (annotators without gold judgements absent). */
    public Map<Long, Double> goldAccuracyByAnnotator() {
        Map<Long, Double> out = new HashMap<>();
        for (Annotator a : store.annotators()) {
            List<Judgement> gold = store.judgementsBy(a.id()).stream().filter(j -> j.goldCorrect() != null).toList();
            if (!gold.isEmpty()) out.put(a.id(), gold.stream().filter(Judgement::goldCorrect).count() / (double) gold.size());
        }
        return out;
    }
}
