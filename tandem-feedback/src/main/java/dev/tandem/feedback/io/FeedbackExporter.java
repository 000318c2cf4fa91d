package dev.tandem.feedback.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.stats.FeedbackStats;
import dev.tandem.feedback.store.FeedbackStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Writes a dataset's labels as JSONL for training. Gold tasks are never exported. When a task has several
 * judgements, the consensus is the label most of them gave (a tie for first place means no consensus and the task
 * is dropped); its agreement is the fraction of judgements giving it. Labels of AI judges (annotator kind
 * {@code ai-judge}) are left out unless {@link ExportOptions#includeAiJudges()}.
 */
public final class FeedbackExporter {
    private final FeedbackStore store;
    private final ObjectMapper mapper = new ObjectMapper();

    public FeedbackExporter(FeedbackStore store) { this.store = store; }

    /**
     * Writes JSONL lines to {@code out} (not closed) and returns how many.
     *
     * @throws FeedbackException NOT_FOUND if the dataset does not exist
     */
    public long export(ExportOptions options, Writer out) {
        Dataset dataset = store.datasetByName(options.dataset())
                .orElseThrow(() -> FeedbackException.notFound("dataset '" + options.dataset() + "'"));
        Map<Long, Prompt> prompts = store.prompts(dataset.id()).stream().collect(Collectors.toMap(Prompt::id, Function.identity()));
        Map<Long, Response> responses = store.responsesInDataset(dataset.id()).stream().collect(Collectors.toMap(Response::id, Function.identity()));
        Map<Long, Double> accuracy = options.minGoldAccuracy() == null ? Map.of() : new FeedbackStats(store).goldAccuracyByAnnotator();
        java.util.Set<Long> aiJudges = options.includeAiJudges() ? java.util.Set.of() : store.annotators().stream()
                .filter(a -> a.kind() == AnnotatorKind.AI_JUDGE).map(a -> a.id()).collect(Collectors.toSet());
        Map<Long, List<Judgement>> byTask = new TreeMap<>();
        for (Judgement j : store.judgements(dataset.id())) {
            if (aiJudges.contains(j.annotatorId())) continue;
            Double acc = accuracy.get(j.annotatorId());
            if (options.minGoldAccuracy() != null && acc != null && acc < options.minGoldAccuracy()) continue;
            byTask.computeIfAbsent(j.taskId(), k -> new ArrayList<>()).add(j);
        }
        long lines = 0;
        try {
            for (Task t : store.tasks(dataset.id())) {
                List<Judgement> js = byTask.get(t.id());
                if (t.gold() || js == null) continue;
                String prompt = prompts.get(t.promptId()).text();
                List<String> texts = t.responseIds().stream().map(id -> responses.get(id).text()).toList();
                switch (options.kind()) {
                    case PAIRS -> lines += writePairs(out, t, js, prompt, texts, options);
                    case RANKINGS -> {
                        if (t.kind() != JudgementKind.RANKING) continue;
                        Optional<JudgementPayload> c = consensus(t, js, options.minAgreement());
                        if (c.isEmpty()) continue;
                        line(out, row("prompt", prompt, "responses", texts, "ranks", ((JudgementPayload.Ranking) c.get()).denseRanks()));
                        lines++;
                    }
                    case RATINGS -> {
                        if (t.kind() != JudgementKind.RATING) continue;
                        if (consensus(t, js, options.minAgreement()).isEmpty()) continue;
                        List<Integer> scores = js.stream().map(j -> ((JudgementPayload.Rating) j.payload()).score()).toList();
                        Map<String, Integer> flags = new TreeMap<>();
                        js.forEach(j -> ((JudgementPayload.Rating) j.payload()).flags().forEach(f -> flags.merge(f, 1, Integer::sum)));
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("prompt", prompt);
                        row.put("response", texts.get(0));
                        row.put("score", scores.stream().mapToInt(Integer::intValue).average().orElseThrow());
                        row.put("scores", scores);
                        row.put("flags", flags);
                        line(out, row);
                        lines++;
                    }
                    case DEMONSTRATIONS -> {
                        if (t.kind() != JudgementKind.DEMONSTRATION) continue;
                        for (Judgement j : js) {
                            line(out, row("prompt", prompt, "completion", ((JudgementPayload.Demonstration) j.payload()).text()));
                            lines++;
                        }
                    }
                }
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write export: " + e.getMessage(), e);
        }
        return lines;
    }

    private long writePairs(Writer out, Task t, List<Judgement> js, String prompt, List<String> texts, ExportOptions o) throws IOException {
        if (t.kind() == JudgementKind.PAIRWISE) {
            Optional<JudgementPayload> c = consensus(t, js, o.minAgreement());
            if (c.isEmpty()) return 0;
            JudgementPayload.Choice choice = ((JudgementPayload.Pairwise) c.get()).choice();
            if (choice != JudgementPayload.Choice.A && choice != JudgementPayload.Choice.B) return 0;
            int win = choice == JudgementPayload.Choice.A ? 0 : 1;
            pair(out, prompt, texts.get(win), texts.get(1 - win));
            return 1;
        }
        if (t.kind() == JudgementKind.RANKING && o.expandRankings()) {
            Optional<JudgementPayload> c = consensus(t, js, o.minAgreement());
            if (c.isEmpty()) return 0;
            List<Integer> ranks = ((JudgementPayload.Ranking) c.get()).ranks();
            long n = 0;
            for (int i = 0; i < ranks.size(); i++)
                for (int k = i + 1; k < ranks.size(); k++) {
                    if (ranks.get(i).equals(ranks.get(k))) continue;
                    boolean iBetter = ranks.get(i) < ranks.get(k);
                    pair(out, prompt, texts.get(iBetter ? i : k), texts.get(iBetter ? k : i));
                    n++;
                }
            return n;
        }
        return 0;
    }

    /** The modal canonical payload of a task's judgements, if unique and agreed by at least {@code min}. */
    static Optional<JudgementPayload> consensus(Task t, List<Judgement> js, double min) {
        Map<String, List<JudgementPayload>> byLabel = new LinkedHashMap<>();
        for (Judgement j : js) {
            JudgementPayload p = j.inTaskOrder(t);
            byLabel.computeIfAbsent(p.label(), k -> new ArrayList<>()).add(p);
        }
        int best = byLabel.values().stream().mapToInt(List::size).max().orElse(0);
        List<List<JudgementPayload>> top = byLabel.values().stream().filter(l -> l.size() == best).toList();
        if (top.size() != 1 || (double) best / js.size() < min) return Optional.empty();
        return Optional.of(top.get(0).get(0));
    }

    private void pair(Writer out, String prompt, String chosen, String rejected) throws IOException {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("prompt", prompt);
        row.put("chosen", chosen);
        row.put("rejected", rejected);
        line(out, row);
    }

    /** An ordered JSON object from key, value, key, value… */
    private static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private void line(Writer out, Map<String, ?> row) throws IOException {
        try {
            out.write(mapper.writeValueAsString(row));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.write('\n');
    }
}
