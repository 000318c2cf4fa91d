package dev.tandem.feedback.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.JudgementPayload.Choice;
import dev.tandem.feedback.Submission;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.io.ExportKind;
import dev.tandem.feedback.io.ExportOptions;
import dev.tandem.feedback.io.FeedbackExporter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Judgements of AI judges (annotator kind {@code ai-judge}) are stored with their confidence beside the people's, but
 * take no overlap slot, do not make a task done, are counted apart in the summary and stay out of exports unless
 * asked for. Run against SQLite and PostgreSQL by the two subclasses.
 */
abstract class AiJudgementContract extends StoreContractBase {
    AiJudgementContract() {
        super(7);
    }

    private static JudgementPayload.Pairwise pick(Choice c) {
        return new JudgementPayload.Pairwise(c, null, null);
    }

    @Test
    void aiJudgementsTakeNoOverlapSlotAndLeaveTheTaskToPeople() {
        Dataset d = store.createDataset("ai", "t", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
        Task t = pairTask(d, "q");
        Annotator judge1 = store.ensureAnnotator("ai:one", AnnotatorKind.AI_JUDGE);
        Annotator judge2 = store.ensureAnnotator("ai:two", AnnotatorKind.AI_JUDGE);
        Judgement j1 = store.addJudgement(t.id(), judge1.id(), "ai-1", pick(Choice.A), clock.instant(), 0, 0.75);
        store.batch(w -> w.addJudgement(t.id(), judge2.id(), "ai-2", pick(Choice.B), clock.instant(), 0, 0.6));

        assertEquals(0.75, store.judgement(j1.id()).orElseThrow().confidence());
        assertEquals(0, store.task(t.id()).orElseThrow().judgementCount(), "AI labels are not counted as the task's judgements");
        DatasetSummary s = store.datasetSummaries().get(0);
        assertEquals(1, s.open(), "still open for people");
        assertEquals(0, s.judgements());
        assertEquals(2, s.aiJudgements());

        // with overlap 1 the one person still gets the task, and their answer closes it
        Annotator person = store.createAnnotator("ann", AnnotatorKind.HUMAN);
        AssignedTask a = store.nextTask(person.id(), d.id()).orElseThrow();
        assertEquals(t.id(), a.task().id());
        store.submit(person.id(), new Submission(a.assignment().id(), "h-1", pick(Choice.A), 1000, null));
        Annotator other = store.createAnnotator("ann2", AnnotatorKind.HUMAN);
        assertTrue(store.nextTask(other.id(), d.id()).isEmpty(), "overlap 1 is used up by the person, not by the AI");
        s = store.datasetSummaries().get(0);
        assertEquals(1, s.done());
        assertEquals(1, s.judgements());
        assertEquals(2, s.aiJudgements());
        assertEquals(3, store.judgementsForTask(t.id()).size());
    }

    @Test
    void anImportedOrSimulatedJudgementStillTakesASlot() {
        Dataset d = store.createDataset("sim", "t", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
        Task t = pairTask(d, "q");
        Annotator sim = store.ensureAnnotator("simulated", AnnotatorKind.SIMULATED);
        store.addJudgement(t.id(), sim.id(), "s-1", pick(Choice.A), clock.instant(), 0, null);
        assertEquals(1, store.task(t.id()).orElseThrow().judgementCount());
        Annotator person = store.createAnnotator("ann", AnnotatorKind.HUMAN);
        assertTrue(store.nextTask(person.id(), d.id()).isEmpty());
    }

    @Test
    void exportsLeaveAiLabelsOutUnlessAskedFor() {
        Dataset d = store.createDataset("exp", "t", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
        Task onlyAi = pairTask(d, "only ai");
        Task both = pairTask(d, "both");
        Annotator judge = store.ensureAnnotator("ai:rm", AnnotatorKind.AI_JUDGE);
        Annotator sim = store.ensureAnnotator("simulated", AnnotatorKind.SIMULATED);
        store.addJudgement(onlyAi.id(), judge.id(), "a1", pick(Choice.A), clock.instant(), 0, 0.9);
        store.addJudgement(both.id(), judge.id(), "a2", pick(Choice.B), clock.instant(), 0, 0.9);
        store.addJudgement(both.id(), sim.id(), "s2", pick(Choice.A), clock.instant(), 0, null);

        StringWriter people = new StringWriter();
        assertEquals(1, new FeedbackExporter(store).export(ExportOptions.of("exp", ExportKind.PAIRS), people));
        assertTrue(people.toString().contains("\"chosen\":\"both / first\""), people.toString());

        StringWriter all = new StringWriter();
        // with AI labels: "only ai" is exported; "both" has one A and one B, no majority, so it is dropped
        assertEquals(1, new FeedbackExporter(store).export(ExportOptions.of("exp", ExportKind.PAIRS).withIncludeAiJudges(true), all));
        assertTrue(all.toString().contains("\"chosen\":\"only ai / first\""), all.toString());
    }

    @Test
    void setPrioritiesChangesTheServingOrderAllOrNothing() {
        Dataset d = store.createDataset("prio", "t", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
        Task t1 = pairTask(d, "one"), t2 = pairTask(d, "two"), t3 = pairTask(d, "three");
        store.setPriorities(java.util.Map.of(t1.id(), 5, t2.id(), 900, t3.id(), 40));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.tandem.feedback.FeedbackException.class,
                () -> store.setPriorities(java.util.Map.of(t1.id(), 10_000, 999_999L, 1)));
        assertEquals(dev.tandem.feedback.FeedbackException.Reason.NOT_FOUND, e.reason());
        assertEquals(5, store.task(t1.id()).orElseThrow().priority(), "rolled back");
        List<Long> served = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Annotator a = store.createAnnotator("p" + i, AnnotatorKind.HUMAN);
            served.add(store.nextTask(a.id(), d.id()).orElseThrow().task().id());
        }
        assertEquals(List.of(t2.id(), t3.id(), t1.id()), served);
    }

    @Test
    void statisticsKeepAiJudgesOutOfThePeoplesAgreementButShowThemInPairs() {
        Dataset d = store.createDataset("stats", "t", DatasetSettings.defaults().withOverlap(2).withGoldRate(0));
        Task t1 = pairTask(d, "one"), t2 = pairTask(d, "two");
        Annotator h1 = store.ensureAnnotator("h1", AnnotatorKind.HUMAN), h2 = store.ensureAnnotator("h2", AnnotatorKind.HUMAN);
        Annotator ai = store.ensureAnnotator("ai:rm", AnnotatorKind.AI_JUDGE);
        store.addJudgement(t1.id(), h1.id(), "h1-1", pick(Choice.A), clock.instant(), 1000, null);
        store.addJudgement(t2.id(), h1.id(), "h1-2", pick(Choice.A), clock.instant(), 1000, null);
        store.addJudgement(t1.id(), h2.id(), "h2-1", pick(Choice.A), clock.instant(), 1000, null);
        store.addJudgement(t2.id(), h2.id(), "h2-2", pick(Choice.B), clock.instant(), 1000, null);
        store.addJudgement(t1.id(), ai.id(), "ai-1", pick(Choice.B), clock.instant(), 0, 0.9);
        store.addJudgement(t2.id(), ai.id(), "ai-2", pick(Choice.B), clock.instant(), 0, 0.8);

        dev.tandem.feedback.stats.DatasetStats s = new dev.tandem.feedback.stats.FeedbackStats(store, clock)
                .dataset(d.id(), java.time.ZoneOffset.UTC);
        // people only: task one agrees (A, A), task two does not (A, B) -> 0.5; with the AI judge it would be 1/3
        assertEquals(0.5, s.percentAgreement(), 1e-9);
        assertEquals(4, s.labelDistribution().get(JudgementKind.PAIRWISE).values().stream().mapToInt(Integer::intValue).sum(),
                "the label distribution counts the people's four labels");
        assertEquals(3, s.pairs().size(), "h1-h2, h1-ai and h2-ai");
        assertTrue(s.pairs().stream().anyMatch(p -> p.annotatorA() == ai.id() || p.annotatorB() == ai.id()));
        assertEquals(3, s.annotators().size());
    }
}
