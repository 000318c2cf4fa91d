package dev.tandem.loop.judge;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.store.FeedbackStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs AI judges over a dataset's open pairwise tasks and stores their answers as judgements of annotators of kind
 * {@code ai-judge} (named {@link AiJudge#name()}), with the judge's confidence. These take no overlap slot: people
 * still get every task. Then it sets each open task's priority from all AI judgements stored for it, so the queue
 * serves people first the tasks where the AI judges are least sure or disagree with each other
 * ({@link #priority}).
 *
 * <p>Idempotent: a task a judge has already judged is skipped (client id {@code ai-judge:TASK}). A pair the judge
 * cannot answer ({@link JudgeException}) gets no judgement; after {@value #MAX_CONSECUTIVE_FAILURES} failures in a
 * row a judge is given up for this pass (e.g. its endpoint is down).
 */
public final class JudgePass {
    private static final Logger LOG = LoggerFactory.getLogger(JudgePass.class);
    /** Priorities are {@code round(SCALE × score)}. */
    public static final int SCALE = 10_000;
    static final int MAX_CONSECUTIVE_FAILURES = 5;

    private final FeedbackStore store;

    public JudgePass(FeedbackStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * What one judge did.
     *
     * @param judge      annotator name
     * @param judged     judgements stored in this pass
     * @param skipped    tasks it had judged before
     * @param failed     pairs it could not answer
     * @param firstError the first failure's message, or null
     */
    public record JudgeReport(String judge, int judged, int skipped, int failed, String firstError) {}

    /**
     * What the pass did.
     *
     * @param openTasks   open pairwise tasks in the dataset
     * @param judges      per judge
     * @param prioritised open tasks whose priority was set from AI judgements
     */
    public record Report(int openTasks, List<JudgeReport> judges, int prioritised) {
        public int failed() { return judges.stream().mapToInt(JudgeReport::failed).sum(); }
    }

    /** Judges the named dataset's open pairwise tasks with each judge, then re-prioritises them. */
    public Report run(String dataset, List<? extends AiJudge> judges) {
        return run(dataset, judges, msg -> { });
    }

    /** As {@link #run(String, List)}, telling {@code progress} about each finished batch. */
    public Report run(String dataset, List<? extends AiJudge> judges, Consumer<String> progress) {
        Dataset d = store.datasetByName(dataset).orElseThrow(() -> FeedbackException.notFound("dataset '" + dataset + "'"));
        List<OpenPair> open = OpenPair.of(store, d);
        List<JudgeReport> reports = new ArrayList<>();
        for (AiJudge judge : judges) reports.add(runJudge(judge, open, progress));
        int prioritised = prioritise(d);
        return new Report(open.size(), List.copyOf(reports), prioritised);
    }

    private JudgeReport runJudge(AiJudge judge, List<OpenPair> open, Consumer<String> progress) {
        Annotator who = store.ensureAnnotator(judge.name(), AnnotatorKind.AI_JUDGE);
        if (who.kind() != AnnotatorKind.AI_JUDGE)
            throw new IllegalArgumentException("annotator '" + judge.name() + "' exists and is " + who.kind().wireName()
                    + ", not ai-judge: AI labels are never stored under a person's name");
        Set<Long> done = new HashSet<>();
        for (Judgement j : store.judgementsBy(who.id())) done.add(j.taskId());
        List<OpenPair> todo = open.stream().filter(p -> !done.contains(p.task().id())).toList();
        int judged = 0, failed = 0, inARow = 0;
        String firstError = null;
        int batch = Math.max(1, judge.batchSize());
        for (int from = 0; from < todo.size(); from += batch) {
            List<OpenPair> chunk = todo.subList(from, Math.min(todo.size(), from + batch));
            long t0 = System.nanoTime();
            List<AiJudge.Verdict> verdicts;
            try {
                verdicts = judge.judge(chunk.stream().map(OpenPair::pair).toList());
                if (verdicts.size() != chunk.size())
                    throw new JudgeException(judge.name() + " answered " + verdicts.size() + " of " + chunk.size() + " pairs");
            } catch (JudgeException e) {
                failed += chunk.size();
                if (firstError == null) firstError = e.getMessage();
                LOG.warn("AI judge {}: {} (task {})", judge.name(), e.getMessage(), chunk.get(0).task().id());
                if (++inARow >= MAX_CONSECUTIVE_FAILURES) {
                    int left = todo.size() - from - chunk.size();
                    failed += left;
                    firstError = firstError + " (gave up after " + inARow + " failures in a row; " + left + " pairs not tried)";
                    break;
                }
                continue;
            }
            inARow = 0;
            long millis = (System.nanoTime() - t0) / 1_000_000 / chunk.size();
            Instant now = Instant.now();
            List<AiJudge.Verdict> v = verdicts;
            store.batch(w -> {
                for (int i = 0; i < chunk.size(); i++) {
                    Task t = chunk.get(i).task();
                    w.addJudgement(t.id(), who.id(), "ai-judge:" + t.id(), new JudgementPayload.Pairwise(v.get(i).choice(), null, null),
                            now, millis, v.get(i).confidence());
                }
                return null;
            });
            judged += chunk.size();
            progress.accept(judge.name() + ": " + judged + "/" + todo.size());
        }
        return new JudgeReport(judge.name(), judged, open.size() - todo.size(), failed, firstError);
    }

    /**
     * Sets the priority of each open pairwise task of the dataset that has AI judgements to
     * {@code round(SCALE × priority(pA…))} over all its AI judgements (of every AI judge, this pass's and earlier
     * ones); returns how many tasks have AI judgements. Tasks without any keep their priority.
     */
    public int prioritise(Dataset d) {
        Set<Long> aiJudges = new HashSet<>();
        for (Annotator a : store.annotators()) if (a.kind() == AnnotatorKind.AI_JUDGE) aiJudges.add(a.id());
        Map<Long, Task> open = new HashMap<>();
        for (Task t : OpenPair.openTasks(store, d)) open.put(t.id(), t);
        Map<Long, List<Double>> pA = new HashMap<>();
        for (Judgement j : store.judgements(d.id())) {
            Task t = open.get(j.taskId());
            if (t == null || !aiJudges.contains(j.annotatorId())) continue;
            if (!(j.inTaskOrder(t) instanceof JudgementPayload.Pairwise pw) || pw.choice() == JudgementPayload.Choice.BOTH_BAD) continue;
            double c = j.confidence() == null ? OpenAiChatJudge.DEFAULT_CONFIDENCE : j.confidence();
            pA.computeIfAbsent(t.id(), k -> new ArrayList<>()).add(AiJudge.Verdict.ofAnswer(pw.choice(), c).probabilityA());
        }
        Map<Long, Integer> changes = new HashMap<>();
        pA.forEach((id, ps) -> {
            int p = (int) Math.round(SCALE * priority(ps));
            if (open.get(id).priority() != p) changes.put(id, p);
        });
        store.setPriorities(changes);
        return pA.size();
    }

    /**
     * How much a person's label is wanted, from the AI judges' probabilities that A is better: the uncertainty of
     * their mean, {@code 1 − |2·mean − 1|} (1 at 0.5, 0 when sure), plus their spread (population standard deviation,
     * up to 0.5 when judges confidently contradict each other). In [0, 1.5]; higher is served first.
     */
    public static double priority(List<Double> probabilitiesA) {
        if (probabilitiesA.isEmpty()) throw new IllegalArgumentException("no probabilities");
        double mean = 0;
        for (double p : probabilitiesA) mean += p / probabilitiesA.size();
        double var = 0;
        for (double p : probabilitiesA) var += (p - mean) * (p - mean) / probabilitiesA.size();
        return 1 - Math.abs(2 * mean - 1) + Math.sqrt(var);
    }
}
