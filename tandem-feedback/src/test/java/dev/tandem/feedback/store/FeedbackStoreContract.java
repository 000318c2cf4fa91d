package dev.tandem.feedback.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.Assignment;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.JudgementPayload.Choice;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.SubmitResult;
import dev.tandem.feedback.Submission;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.stats.DatasetStats;
import dev.tandem.feedback.stats.FeedbackStats;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The store's behaviour; run against SQLite and PostgreSQL by the two subclasses. */
abstract class FeedbackStoreContract extends StoreContractBase {
    FeedbackStoreContract() {
        super(42);
    }

    Dataset dataset(String name, DatasetSettings s) {
        return store.createDataset(name, "test", s);
    }

    SubmitResult answer(Annotator a, AssignedTask t, JudgementPayload p) {
        return store.submit(a.id(), new Submission(t.assignment().id(), "c-" + t.assignment().id(), p, 1500, null));
    }

    @Test
    void datasetsAreCreatedFoundAndUpdated() {
        Dataset d = dataset("alpha", DatasetSettings.defaults().withRatingFlags(List.of("toxic", "wrong")));
        assertEquals(Optional.of(d), store.dataset(d.id()));
        assertEquals(Optional.of(d), store.datasetByName("alpha"));
        var e = assertThrows(FeedbackException.class, () -> dataset("alpha", DatasetSettings.defaults()));
        assertEquals(FeedbackException.Reason.CONFLICT, e.reason());
        assertEquals(d, store.ensureDataset("alpha", "ignored", DatasetSettings.defaults().withOverlap(5)));
        Dataset u = store.updateSettings(d.id(), d.settings().withOverlap(3).withGoldRate(0.1).withLeaseTimeout(Duration.ofMinutes(5)));
        assertEquals(3, u.settings().overlap());
        assertEquals(0.1, u.settings().goldRate());
        assertEquals(Duration.ofMinutes(5), u.settings().leaseTimeout());
        assertEquals(List.of("toxic", "wrong"), store.dataset(d.id()).orElseThrow().settings().ratingFlags());
        assertEquals(List.of(d.id()), store.datasets().stream().map(Dataset::id).toList());
        assertEquals(FeedbackException.Reason.NOT_FOUND,
                assertThrows(FeedbackException.class, () -> store.updateSettings(999, DatasetSettings.defaults())).reason());
    }

    @Test
    void tokensAuthenticateUntilRevokedAndAreStoredHashed() throws Exception {
        Annotator ann = store.createAnnotator("ann", AnnotatorKind.HUMAN);
        Annotator admin = store.ensureAnnotator("boss", AnnotatorKind.ADMIN);
        assertEquals(admin, store.ensureAnnotator("boss", AnnotatorKind.HUMAN));
        String t1 = store.issueToken(ann.id(), "laptop");
        String t2 = store.issueToken(admin.id(), "cli");
        assertEquals(64, t1.length());
        assertNotEquals(t1, t2);
        assertEquals(Optional.of(ann), store.authenticate(t1));
        assertEquals(Optional.of(admin), store.authenticate(t2));
        assertEquals(Optional.empty(), store.authenticate(t1.substring(0, 63) + (t1.charAt(63) == '0' ? '1' : '0')));
        assertEquals(Optional.empty(), store.authenticate("not a token"));
        assertEquals(Optional.empty(), store.authenticate(null));
        // only the SHA-256 is stored
        try (var c = java.sql.DriverManager.getConnection(db.url()); var s = c.createStatement();
             var rs = s.executeQuery("SELECT token_sha256 FROM api_tokens ORDER BY id")) {
            rs.next();
            assertEquals(JdbcFeedbackStore.sha256Hex(t1), rs.getString(1));
            assertNotEquals(t1, rs.getString(1));
        }
        assertEquals(1, store.revokeTokens(ann.id()));
        assertEquals(Optional.empty(), store.authenticate(t1));
        assertEquals(Optional.of(admin), store.authenticate(t2));
    }

    @Test
    void pairwiseFlowStoresWhatWasShownAndWho() {
        Dataset d = dataset("pairs", DatasetSettings.defaults());
        Task task = pairTask(d, "Say hi");
        Annotator ann = store.createAnnotator("ann", AnnotatorKind.HUMAN);
        AssignedTask at = store.nextTask(ann.id(), d.id()).orElseThrow();
        assertEquals(task.id(), at.task().id());
        assertEquals(Assignment.State.LEASED, at.assignment().state());
        assertEquals(Set.copyOf(task.responseIds()), Set.copyOf(at.assignment().shownOrder()));
        assertEquals(at.assignment().shownOrder(), at.shownResponses().stream().map(Response::id).toList());
        assertEquals(clock.instant().plus(Duration.ofMinutes(30)), at.assignment().expiresAt());
        // the same lease comes back while it is live
        assertEquals(at, store.nextTask(ann.id(), d.id()).orElseThrow());

        clock.advance(Duration.ofSeconds(7));
        var payload = new JudgementPayload.Pairwise(Choice.A, JudgementPayload.Strength.CLEARLY, "A is friendlier");
        SubmitResult r = store.submit(ann.id(), new Submission(at.assignment().id(), "uuid-1", payload, 6_500, null));
        assertFalse(r.duplicate());
        Judgement j = r.judgement();
        assertEquals(ann.id(), j.annotatorId());
        assertEquals(clock.instant(), j.createdAt());
        assertEquals(6_500, j.durationMillis());
        assertEquals("Say hi", j.shown().prompt());
        assertEquals(at.shownResponses().stream().map(Response::text).toList(), j.shown().responseTexts());
        assertNull(j.goldCorrect());
        assertNull(j.confidence());
        // in task order, A (shown first) maps to whichever response was shown first
        boolean swapped = !at.assignment().shownOrder().get(0).equals(task.responseIds().get(0));
        var canonical = (JudgementPayload.Pairwise) j.inTaskOrder(store.task(task.id()).orElseThrow());
        assertEquals(swapped ? Choice.B : Choice.A, canonical.choice());
        assertEquals(JudgementPayload.Strength.CLEARLY, canonical.strength());

        assertEquals(Optional.of(j), store.judgement(j.id()));
        assertEquals(List.of(j), store.judgementsForTask(task.id()));
        assertEquals(List.of(j), store.judgementsBy(ann.id()));
        assertEquals(1, store.task(task.id()).orElseThrow().judgementCount());
        assertTrue(store.nextTask(ann.id(), d.id()).isEmpty());
        Annotator other = store.createAnnotator("other", AnnotatorKind.HUMAN);
        assertTrue(store.nextTask(other.id(), d.id()).isEmpty(), "overlap 1: the task is done");
        DatasetSummary s = store.datasetSummaries().get(0);
        assertEquals(List.of(1, 0, 0, 1, 0, 1), List.of(s.prompts(), s.open(), s.inProgress(), s.done(), s.gold(), s.judgements()));
    }

    @Test
    void displayOrderIsRandomised() {
        Dataset d = dataset("order", DatasetSettings.defaults());
        Annotator ann = store.createAnnotator("ann", AnnotatorKind.HUMAN);
        int firstShownFirst = 0;
        for (int i = 0; i < 40; i++) pairTask(d, "p" + i);
        for (int i = 0; i < 40; i++) {
            AssignedTask at = store.nextTask(ann.id(), d.id()).orElseThrow();
            if (at.assignment().shownOrder().get(0).equals(at.task().responseIds().get(0))) firstShownFirst++;
            answer(ann, at, new JudgementPayload.Pairwise(Choice.TIE));
        }
        assertTrue(firstShownFirst > 8 && firstShownFirst < 32, "shown first " + firstShownFirst + " of 40");
    }

    @Test
    void submissionsAreIdempotentByClientId() {
        Dataset d = dataset("idem", DatasetSettings.defaults());
        pairTask(d, "q");
        Annotator ann = store.createAnnotator("ann", AnnotatorKind.HUMAN);
        AssignedTask at = store.nextTask(ann.id(), d.id()).orElseThrow();
        Submission s = new Submission(at.assignment().id(), "same-id", new JudgementPayload.Pairwise(Choice.B), 100, null);
        SubmitResult first = store.submit(ann.id(), s);
        SubmitResult again = store.submit(ann.id(), s);
        assertFalse(first.duplicate());
        assertTrue(again.duplicate());
        assertEquals(first.judgement(), again.judgement());
        assertEquals(1, store.judgements(d.id()).size());
        assertEquals(1, store.task(at.task().id()).orElseThrow().judgementCount());
        var e = assertThrows(FeedbackException.class, () -> store.submit(ann.id(),
                new Submission(at.assignment().id(), "other-id", new JudgementPayload.Pairwise(Choice.A), 100, null)));
        assertEquals(FeedbackException.Reason.CONFLICT, e.reason());
        assertEquals(1, store.judgements(d.id()).size());
        // the same client id on another assignment is a client bug, not a retry
        pairTask(d, "q2");
        AssignedTask second = store.nextTask(ann.id(), d.id()).orElseThrow();
        assertEquals(FeedbackException.Reason.CONFLICT, assertThrows(FeedbackException.class, () -> store.submit(ann.id(),
                new Submission(second.assignment().id(), "same-id", new JudgementPayload.Pairwise(Choice.B), 100, null))).reason());
        assertEquals(1, store.judgements(d.id()).size());
    }

    @Test
    void invalidSubmissionsAreRejectedAndStoreNothing() {
        Dataset d = dataset("inv", DatasetSettings.defaults().withRatingFlags(List.of("harmful")));
        Prompt p = store.addPrompt(d.id(), "rate me", null, null);
        Response r = store.addResponse(p.id(), "answer", new Response.ModelInfo("m", "v1", Map.of("temperature", "0.7")));
        assertEquals(Map.of("temperature", "0.7"), store.response(r.id()).orElseThrow().model().generationSettings());
        store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.RATING, List.of(r.id())));
        Annotator ann = store.createAnnotator("ann", AnnotatorKind.HUMAN);
        Annotator eve = store.createAnnotator("eve", AnnotatorKind.HUMAN);
        AssignedTask at = store.nextTask(ann.id(), d.id()).orElseThrow();
        assertEquals(List.of("harmful"), at.ratingFlags());
        long aid = at.assignment().id();
        assertEquals(FeedbackException.Reason.INVALID, assertThrows(FeedbackException.class, () -> store.submit(ann.id(),
                new Submission(aid, "x1", new JudgementPayload.Pairwise(Choice.A), 1, null))).reason());
        assertEquals(FeedbackException.Reason.INVALID, assertThrows(FeedbackException.class, () -> store.submit(ann.id(),
                new Submission(aid, "x2", new JudgementPayload.Rating(3, Set.of("rude"), null), 1, null))).reason());
        assertEquals(FeedbackException.Reason.FORBIDDEN, assertThrows(FeedbackException.class, () -> store.submit(eve.id(),
                new Submission(aid, "x3", new JudgementPayload.Rating(3), 1, null))).reason());
        assertEquals(FeedbackException.Reason.NOT_FOUND, assertThrows(FeedbackException.class, () -> store.submit(ann.id(),
                new Submission(9999, "x4", new JudgementPayload.Rating(3), 1, null))).reason());
        assertThrows(IllegalArgumentException.class, () -> new JudgementPayload.Rating(8));
        assertThrows(IllegalArgumentException.class, () -> new JudgementPayload.Pairwise(Choice.TIE, JudgementPayload.Strength.MUCH, null));
        assertTrue(store.judgements(d.id()).isEmpty());
        Judgement ok = store.submit(ann.id(), new Submission(aid, "x5", new JudgementPayload.Rating(6, Set.of("harmful"), "meh"), 1, 0.8)).judgement();
        assertEquals(new JudgementPayload.Rating(6, Set.of("harmful"), "meh"), ok.payload());
        assertEquals(0.8, ok.confidence());
    }

    @Test
    void overlapGivesEachTaskToNDistinctAnnotators() {
        Dataset d = dataset("overlap", DatasetSettings.defaults().withOverlap(2));
        Task t = pairTask(d, "only task");
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        Annotator b = store.createAnnotator("b", AnnotatorKind.HUMAN);
        Annotator c = store.createAnnotator("c", AnnotatorKind.SIMULATED);
        AssignedTask ta = store.nextTask(a.id(), d.id()).orElseThrow();
        AssignedTask tb = store.nextTask(b.id(), d.id()).orElseThrow();
        assertEquals(t.id(), ta.task().id());
        assertEquals(t.id(), tb.task().id());
        assertTrue(store.nextTask(c.id(), d.id()).isEmpty(), "two live leases fill overlap 2");
        answer(a, ta, new JudgementPayload.Pairwise(Choice.A));
        assertTrue(store.nextTask(a.id(), d.id()).isEmpty(), "nobody sees the same task twice");
        DatasetSummary s = store.datasetSummaries().get(0);
        assertEquals(1, s.inProgress());
        answer(b, tb, new JudgementPayload.Pairwise(Choice.B));
        s = store.datasetSummaries().get(0);
        assertEquals(1, s.done());
        assertTrue(store.nextTask(c.id(), d.id()).isEmpty());
    }

    @Test
    void expiredLeasesReturnToTheQueueAndLateAnswersAreKept() {
        Dataset d = dataset("lease", DatasetSettings.defaults().withLeaseTimeout(Duration.ofMinutes(10)));
        Task t = pairTask(d, "q");
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        Annotator b = store.createAnnotator("b", AnnotatorKind.HUMAN);
        AssignedTask ta = store.nextTask(a.id(), d.id()).orElseThrow();
        assertTrue(store.nextTask(b.id(), d.id()).isEmpty());
        clock.advance(Duration.ofMinutes(9));
        assertTrue(store.nextTask(b.id(), d.id()).isEmpty(), "lease still live");
        clock.advance(Duration.ofMinutes(2));
        AssignedTask tb = store.nextTask(b.id(), d.id()).orElseThrow();
        assertEquals(t.id(), tb.task().id());
        assertEquals(Assignment.State.EXPIRED, store.assignment(ta.assignment().id(), a.id()).assignment().state());
        assertTrue(store.nextTask(a.id(), d.id()).isEmpty(), "a never gets the task again");
        answer(b, tb, new JudgementPayload.Pairwise(Choice.A));
        Judgement late = answer(a, ta, new JudgementPayload.Pairwise(Choice.B)).judgement();
        assertEquals(ta.assignment().id(), late.assignmentId());
        assertEquals(2, store.task(t.id()).orElseThrow().judgementCount());
    }

    @Test
    void changingTheOverlapReopensAndClosesTasks() {
        Dataset d = dataset("reopen", DatasetSettings.defaults());
        Task t = pairTask(d, "q");
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        Annotator b = store.createAnnotator("b", AnnotatorKind.HUMAN);
        Annotator c = store.createAnnotator("c", AnnotatorKind.HUMAN);
        answer(a, store.nextTask(a.id(), d.id()).orElseThrow(), new JudgementPayload.Pairwise(Choice.A));
        assertTrue(store.nextTask(b.id(), d.id()).isEmpty(), "overlap 1 is done");
        store.updateSettings(d.id(), d.settings().withOverlap(3));
        AssignedTask tb = store.nextTask(b.id(), d.id()).orElseThrow();
        assertEquals(t.id(), tb.task().id(), "overlap 3 reopens the task");
        store.updateSettings(d.id(), d.settings().withOverlap(2));
        assertTrue(store.nextTask(c.id(), d.id()).isEmpty(), "a judgement and a live lease fill overlap 2");
        Task late = pairTask(d, "added after the change");
        AssignedTask tc = store.nextTask(c.id(), d.id()).orElseThrow();
        assertEquals(late.id(), tc.task().id(), "new tasks take the current overlap");
        answer(b, tb, new JudgementPayload.Pairwise(Choice.B));
        assertEquals(1, store.datasetSummaries().get(0).done());
    }

    @Test
    void reclaimExpiredLeasesFreesSlotsAcrossDatasets() {
        Dataset d = dataset("reclaim", DatasetSettings.defaults().withLeaseTimeout(Duration.ofSeconds(30)));
        pairTask(d, "q1");
        pairTask(d, "q2");
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        Annotator b = store.createAnnotator("b", AnnotatorKind.HUMAN);
        store.nextTask(a.id(), d.id()).orElseThrow();
        store.nextTask(b.id(), d.id()).orElseThrow();
        assertEquals(0, store.reclaimExpiredLeases());
        clock.advance(Duration.ofSeconds(31));
        assertEquals(2, store.reclaimExpiredLeases());
        assertEquals(2, store.datasetSummaries().get(0).open());
    }

    @Test
    void releasedTasksGoToSomeoneElse() {
        Dataset d = dataset("skip", DatasetSettings.defaults());
        Task t = pairTask(d, "q");
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        Annotator b = store.createAnnotator("b", AnnotatorKind.HUMAN);
        AssignedTask ta = store.nextTask(a.id(), d.id()).orElseThrow();
        assertEquals(FeedbackException.Reason.FORBIDDEN,
                assertThrows(FeedbackException.class, () -> store.release(ta.assignment().id(), b.id())).reason());
        store.release(ta.assignment().id(), a.id());
        assertTrue(store.nextTask(a.id(), d.id()).isEmpty());
        assertEquals(t.id(), store.nextTask(b.id(), d.id()).orElseThrow().task().id());
    }

    @Test
    void higherPriorityIsServedFirst() {
        Dataset d = dataset("prio", DatasetSettings.defaults());
        Task t1 = pairTask(d, "q1");
        Task t2 = pairTask(d, "q2");
        Task t3 = pairTask(d, "q3");
        store.setPriority(t3.id(), 10);
        store.setPriority(t2.id(), 5);
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        List<Long> served = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AssignedTask at = store.nextTask(a.id(), d.id()).orElseThrow();
            served.add(at.task().id());
            answer(a, at, new JudgementPayload.Pairwise(Choice.A));
        }
        assertEquals(List.of(t3.id(), t2.id(), t1.id()), served);
        assertEquals(10, store.task(t3.id()).orElseThrow().priority());
        assertEquals(FeedbackException.Reason.NOT_FOUND, assertThrows(FeedbackException.class, () -> store.setPriority(777, 1)).reason());
    }

    @Test
    void goldTasksAreMixedInAndAccuracyIsTracked() {
        Dataset d = dataset("gold", DatasetSettings.defaults().withGoldRate(1.0));
        Prompt p = store.addPrompt(d.id(), "2+2?", null, null);
        Response right = store.addResponse(p.id(), "4", Response.ModelInfo.unknown());
        Response wrong = store.addResponse(p.id(), "5", Response.ModelInfo.unknown());
        Task gold = store.addTask(d.id(), NewTask.gold(p.id(), JudgementKind.PAIRWISE, List.of(right.id(), wrong.id()),
                new JudgementPayload.Pairwise(Choice.A)));
        Task normal = pairTask(d, "normal");
        Annotator good = store.createAnnotator("good", AnnotatorKind.HUMAN);
        Annotator bad = store.createAnnotator("bad", AnnotatorKind.HUMAN);
        for (Annotator who : List.of(good, bad)) {
            AssignedTask at = store.nextTask(who.id(), d.id()).orElseThrow();
            assertEquals(gold.id(), at.task().id(), "gold rate 1: gold first");
            boolean rightShownFirst = at.shownResponses().get(0).id() == right.id();
            Choice pickRight = rightShownFirst ? Choice.A : Choice.B;
            Judgement j = answer(who, at, new JudgementPayload.Pairwise(who == good ? pickRight : pickRight.swapped())).judgement();
            assertEquals(who == good, j.goldCorrect());
        }
        // gold tasks have no overlap limit, and after the gold is seen the normal task comes
        assertEquals(normal.id(), store.nextTask(good.id(), d.id()).orElseThrow().task().id());
        Map<Long, Double> acc = new FeedbackStats(store, clock).goldAccuracyByAnnotator();
        assertEquals(Map.of(good.id(), 1.0, bad.id(), 0.0), acc);
        assertEquals(1, store.datasetSummaries().get(0).gold());
        assertEquals(1, store.datasetSummaries().get(0).tasks());
    }

    @Test
    void goldRateZeroNeverServesGold() {
        Dataset d = dataset("nogold", DatasetSettings.defaults());
        Prompt p = store.addPrompt(d.id(), "g", null, null);
        Response r1 = store.addResponse(p.id(), "x", null);
        Response r2 = store.addResponse(p.id(), "y", null);
        store.addTask(d.id(), NewTask.gold(p.id(), JudgementKind.PAIRWISE, List.of(r1.id(), r2.id()), new JudgementPayload.Pairwise(Choice.B)));
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        assertTrue(store.nextTask(a.id(), d.id()).isEmpty());
    }

    @Test
    void rankingRatingAndDemonstrationRoundTrip() {
        Dataset d = dataset("kinds", DatasetSettings.defaults());
        Prompt p = store.addPrompt(d.id(), "Write a haiku", "g1", "file.jsonl:3");
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) ids.add(store.addResponse(p.id(), "haiku " + i, null).id());
        Task rank = store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.RANKING, ids));
        Task rate = store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.RATING, List.of(ids.get(0))));
        Task demo = store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.DEMONSTRATION, List.of()));
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        Map<Long, Judgement> byTask = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            AssignedTask at = store.nextTask(a.id(), d.id()).orElseThrow();
            JudgementPayload payload = switch (at.task().kind()) {
                // rank the responses by their text ("haiku 0" best) whatever the display order
                case RANKING -> new JudgementPayload.Ranking(at.shownResponses().stream()
                        .map(r -> Math.min(2, Integer.parseInt(r.text().substring(6)))).toList(), "3 and 2 tie");
                case RATING -> new JudgementPayload.Rating(5, Set.of("other"), null);
                case DEMONSTRATION -> new JudgementPayload.Demonstration("Old pond / frog jumps in / splash");
                default -> throw new AssertionError();
            };
            byTask.put(at.task().id(), answer(a, at, payload).judgement());
        }
        var ranking = (JudgementPayload.Ranking) byTask.get(rank.id()).inTaskOrder(store.task(rank.id()).orElseThrow());
        assertEquals(List.of(0, 1, 2, 2), ranking.ranks());
        assertEquals("0,1,2,2", ranking.label());
        assertEquals(new JudgementPayload.Rating(5, Set.of("other"), null), byTask.get(rate.id()).payload());
        assertEquals("Old pond / frog jumps in / splash", ((JudgementPayload.Demonstration) byTask.get(demo.id()).payload()).text());
        assertEquals(List.of(), byTask.get(demo.id()).shown().responseIds());
        assertEquals(p, store.prompt(p.id()).orElseThrow());
        assertEquals(4, store.responses(p.id()).size());
        assertEquals(4, store.responsesInDataset(d.id()).size());
        assertEquals(3, store.tasks(d.id()).size());
        assertEquals(List.of(p), store.prompts(d.id()));
    }

    @Test
    void tasksMustReferToTheirOwnPromptAndDataset() {
        Dataset d1 = dataset("d1", DatasetSettings.defaults());
        Dataset d2 = dataset("d2", DatasetSettings.defaults());
        Prompt p1 = store.addPrompt(d1.id(), "p1", null, null);
        Prompt p2 = store.addPrompt(d1.id(), "p2", null, null);
        long r1 = store.addResponse(p1.id(), "a", null).id();
        long r2 = store.addResponse(p2.id(), "b", null).id();
        assertEquals(FeedbackException.Reason.INVALID, assertThrows(FeedbackException.class,
                () -> store.addTask(d1.id(), NewTask.of(p1.id(), JudgementKind.PAIRWISE, List.of(r1, r2)))).reason());
        assertEquals(FeedbackException.Reason.INVALID, assertThrows(FeedbackException.class,
                () -> store.addTask(d2.id(), NewTask.of(p1.id(), JudgementKind.RATING, List.of(r1)))).reason());
        assertThrows(IllegalArgumentException.class, () -> NewTask.of(p1.id(), JudgementKind.PAIRWISE, List.of(r1)));
        assertTrue(store.tasks(d1.id()).isEmpty());
    }

    @Test
    void batchIsAllOrNothing() {
        Dataset d = dataset("batch", DatasetSettings.defaults());
        Annotator imp = store.createAnnotator("import:test", AnnotatorKind.EXTERNAL_IMPORT);
        var e = assertThrows(IllegalStateException.class, () -> store.batch(w -> {
            Prompt p = w.addPrompt(d.id(), "p", null, null);
            long a = w.addResponse(p.id(), "a", null).id();
            long b = w.addResponse(p.id(), "b", null).id();
            Task t = w.addTask(d.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(a, b)));
            w.addJudgement(t.id(), imp.id(), "line-1", new JudgementPayload.Pairwise(Choice.A), clock.instant(), 0, null);
            assertTrue(w.hasJudgement(imp.id(), "line-1"));
            assertEquals(Optional.of(p), w.findPrompt(d.id(), "p"));
            throw new IllegalStateException("bad line 2");
        }));
        assertEquals("bad line 2", e.getMessage());
        assertTrue(store.prompts(d.id()).isEmpty());
        assertTrue(store.tasks(d.id()).isEmpty());
        assertTrue(store.judgements(d.id()).isEmpty());
        assertFalse(store.hasJudgement(imp.id(), "line-1"));

        int n = store.batch(w -> {
            Prompt p = w.addPrompt(d.id(), "p", null, null);
            long a = w.addResponse(p.id(), "a", null).id();
            long b = w.addResponse(p.id(), "b", null).id();
            Task t = w.addTask(d.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(a, b)));
            w.addJudgement(t.id(), imp.id(), "line-1", new JudgementPayload.Pairwise(Choice.B), clock.instant(), 0, null);
            assertEquals(FeedbackException.Reason.CONFLICT, assertThrows(FeedbackException.class,
                    () -> w.addJudgement(t.id(), imp.id(), "line-2", new JudgementPayload.Pairwise(Choice.A), clock.instant(), 0, null)).reason());
            return 1;
        });
        assertEquals(1, n);
        assertEquals(1, store.judgements(d.id()).size());
        assertEquals(1, store.datasetSummaries().get(0).done(), "an imported judgement fills an overlap-1 task");
    }

    @Test
    void statsReportAgreementThroughputAndSideBias() {
        Dataset d = dataset("stats", DatasetSettings.defaults().withOverlap(2));
        for (int i = 0; i < 6; i++) pairTask(d, "q" + i);
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        Annotator b = store.createAnnotator("b", AnnotatorKind.HUMAN);
        // a always prefers the task's first response; b agrees on the first four tasks and disagrees on the last two
        Map<Long, Integer> order = new HashMap<>();
        for (Annotator who : List.of(a, b)) {
            for (int i = 0; i < 6; i++) {
                AssignedTask at = store.nextTask(who.id(), d.id()).orElseThrow();
                int idx = order.computeIfAbsent(at.task().id(), k -> order.size());
                boolean preferTaskFirst = who == a || idx < 4;
                boolean taskFirstShownFirst = at.shownResponses().get(0).id() == at.task().responseIds().get(0);
                Choice c = preferTaskFirst == taskFirstShownFirst ? Choice.A : Choice.B;
                clock.advance(Duration.ofSeconds(1));
                store.submit(who.id(), new Submission(at.assignment().id(), "s" + at.assignment().id(), new JudgementPayload.Pairwise(c), (i + 1) * 1000L, null));
            }
        }
        DatasetStats s = new FeedbackStats(store, clock).dataset(d.id(), ZoneOffset.UTC);
        assertEquals(6, s.summary().done());
        assertEquals(4.0 / 6, s.percentAgreement(), 1e-12);
        assertEquals(1, s.pairs().size());
        assertEquals(6, s.pairs().get(0).sharedTasks());
        // a: a,a,a,a,a,a  b: a,a,a,a,b,b -> po = 4/6, pe = 1*(4/6) + 0*(2/6) = 4/6, kappa = 0
        assertEquals(0.0, s.pairs().get(0).cohenKappa(), 1e-12);
        assertEquals(Map.of("a", 10, "b", 2), s.labelDistribution().get(JudgementKind.PAIRWISE));
        assertEquals(12, s.sideBias().decided());
        assertEquals(2, s.annotators().size());
        assertEquals(6, s.annotators().get(0).judgements());
        assertEquals(6, s.annotators().get(0).today());
        assertEquals(3.5, s.annotators().get(0).medianSeconds(), 1e-12);
        assertTrue(Double.isNaN(s.annotators().get(0).goldAccuracy()));
        // alpha for 6 units of two labels each: values a x10, b x2; o_ab = o_ba = 2 -> 1 - 11*4/(2*10*2) = -0.1
        assertEquals(-0.1, s.krippendorffAlpha(), 1e-12);
    }

    @Test
    void acknowledgedJudgementsSurviveKillDashNine() throws Exception {
        Dataset d = dataset("durable", DatasetSettings.defaults());
        store.batch(w -> {
            for (int i = 0; i < 400; i++) {
                Prompt p = w.addPrompt(d.id(), "q" + i, null, null);
                long a = w.addResponse(p.id(), "a", null).id();
                long b = w.addResponse(p.id(), "b", null).id();
                w.addTask(d.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(a, b)));
            }
            return null;
        });
        Annotator ann = store.createAnnotator("child", AnnotatorKind.SIMULATED);
        store.close();
        store = null;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), DurabilityChild.class.getName(),
                db.url(), String.valueOf(ann.id()), String.valueOf(d.id()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<Long> acked = new ArrayList<>();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()))) {
            for (String line; (line = out.readLine()) != null && acked.size() < 40; )
                if (line.startsWith("ACK ")) acked.add(Long.parseLong(line.substring(4)));
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no pool close
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");
        assertEquals(40, acked.size(), "child acknowledged 40 judgements before the kill");
        store = JdbcFeedbackStore.open(StoreConfig.of(db.url()).withClock(clock));
        Set<Long> stored = new HashSet<>();
        store.judgements(d.id()).forEach(j -> stored.add(j.id()));
        assertTrue(stored.containsAll(acked), "acknowledged " + acked + " but stored " + stored);
        for (Judgement j : store.judgements(d.id())) assertEquals(1, store.task(j.taskId()).orElseThrow().judgementCount());
    }

    @Test
    void concurrentAnnotatorsNeverShareASingleOverlapTaskAndNoneIsLost() throws Exception {
        concurrentLabelling(1, 60, 6);
    }

    @Test
    void concurrentAnnotatorsFillOverlapExactly() throws Exception {
        concurrentLabelling(3, 30, 6);
    }

    private void concurrentLabelling(int overlap, int tasks, int annotators) throws Exception {
        Dataset d = dataset("conc" + overlap, DatasetSettings.defaults().withOverlap(overlap));
        store.batch(w -> {
            for (int i = 0; i < tasks; i++) {
                Prompt p = w.addPrompt(d.id(), "q" + i, null, null);
                long a = w.addResponse(p.id(), "a", null).id();
                long b = w.addResponse(p.id(), "b", null).id();
                w.addTask(d.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(a, b)));
            }
            return null;
        });
        List<Annotator> people = new ArrayList<>();
        for (int i = 0; i < annotators; i++) people.add(store.createAnnotator("p" + i, AnnotatorKind.SIMULATED));
        Map<Long, Set<Long>> leasedBy = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(annotators * 2);
        List<Future<Integer>> results = new ArrayList<>();
        // two threads per annotator (two browser tabs) hammer nextTask + submit
        for (Annotator who : people) {
            for (int tab = 0; tab < 2; tab++) {
                results.add(pool.submit(() -> {
                    start.await();
                    int done = 0;
                    while (true) {
                        Optional<AssignedTask> next = store.nextTask(who.id(), d.id());
                        if (next.isEmpty()) return done;
                        AssignedTask at = next.get();
                        leasedBy.computeIfAbsent(at.task().id(), k -> ConcurrentHashMap.newKeySet()).add(who.id());
                        SubmitResult r = store.submit(who.id(), new Submission(at.assignment().id(), "c" + at.assignment().id(),
                                new JudgementPayload.Pairwise(Choice.A), 10, null));
                        if (r.duplicate()) duplicates.incrementAndGet(); // the other tab answered the same lease first
                        else done++;
                    }
                }));
            }
        }
        start.countDown();
        int total = 0;
        for (Future<Integer> f : results) total += f.get(120, TimeUnit.SECONDS);
        pool.shutdown();
        assertEquals(tasks * overlap, total, "every slot answered exactly once");
        List<Judgement> js = store.judgements(d.id());
        assertEquals(tasks * overlap, js.size());
        Map<Long, List<Long>> byTask = new HashMap<>();
        for (Judgement j : js) byTask.computeIfAbsent(j.taskId(), k -> new ArrayList<>()).add(j.annotatorId());
        assertEquals(tasks, byTask.size(), "no task lost");
        for (var e : byTask.entrySet()) {
            assertEquals(overlap, e.getValue().size(), "task " + e.getKey());
            assertEquals(overlap, new HashSet<>(e.getValue()).size(), "distinct annotators on task " + e.getKey());
            assertEquals(new HashSet<>(e.getValue()), leasedBy.get(e.getKey()), "only judging annotators leased task " + e.getKey());
        }
        DatasetSummary s = store.datasetSummaries().get(0);
        assertEquals(tasks, s.done());
        assertEquals(0, s.open() + s.inProgress());
        Collections.shuffle(people);
        assertTrue(store.nextTask(people.get(0).id(), d.id()).isEmpty());
    }
}
