package dev.tandem.loop.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.io.ExportKind;
import dev.tandem.feedback.io.ExportOptions;
import dev.tandem.feedback.io.FeedbackExporter;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AI judge passes through the real (SQLite) store: labels stored as ai-judge with confidence, queue order by doubt. */
class JudgePassTest {
    @TempDir Path tmp;

    /** Four open tasks "t0".."t3" with responses "tK-a" / "tK-b", overlap 1. */
    private static List<Task> tasks(FeedbackStore store, Dataset d, int n) {
        List<Task> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Prompt p = store.addPrompt(d.id(), "prompt " + i, null, null);
            long a = store.addResponse(p.id(), "t" + i + "-a", null).id(), b = store.addResponse(p.id(), "t" + i + "-b", null).id();
            out.add(store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(a, b))));
        }
        return out;
    }

    /** A reward model under which task i's A wins with probability pA[i]. */
    private static FakeRewardModel rm(double... pA) {
        Map<String, Double> r = new HashMap<>();
        for (int i = 0; i < pA.length; i++) r.put("t" + i + "-a", FakeRewardModel.logit(pA[i]));
        return new FakeRewardModel(r);
    }

    @Test
    void peopleGetTheTasksTheJudgesDoubtFirstAndTheirSlotsAreUntouched() {
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(tmp.resolve("f.db")))) {
            Dataset d = store.createDataset("d", "", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
            List<Task> t = tasks(store, d, 4);
            // t0: both sure of A; t1: they contradict each other; t2: both unsure; t3: fairly sure
            var one = new RewardModelJudge(rm(0.95, 0.9, 0.55, 0.8), "ai:rm-one");
            var two = new RewardModelJudge(rm(0.95, 0.1, 0.5, 0.7), "ai:rm-two");
            JudgePass.Report report = new JudgePass(store).run("d", List.of(one, two));
            assertEquals(4, report.openTasks());
            assertEquals(4, report.prioritised());
            assertEquals(List.of(4, 4), report.judges().stream().map(JudgePass.JudgeReport::judged).toList());
            assertEquals(0, report.failed());

            Annotator ai = store.annotatorByName("ai:rm-one").orElseThrow();
            assertEquals(AnnotatorKind.AI_JUDGE, ai.kind());
            List<Judgement> js = store.judgementsBy(ai.id());
            assertEquals(4, js.size());
            Judgement j0 = js.stream().filter(j -> j.taskId() == t.get(0).id()).findFirst().orElseThrow();
            assertEquals(JudgementPayload.Choice.A, ((JudgementPayload.Pairwise) j0.inTaskOrder(t.get(0))).choice());
            assertEquals(0.95, j0.confidence(), 1e-6);
            Judgement j1 = store.judgementsBy(store.annotatorByName("ai:rm-two").orElseThrow().id()).stream()
                    .filter(j -> j.taskId() == t.get(1).id()).findFirst().orElseThrow();
            assertEquals(JudgementPayload.Choice.B, ((JudgementPayload.Pairwise) j1.inTaskOrder(t.get(1))).choice());
            assertEquals(0.9, j1.confidence(), 1e-6);
            for (Task x : t) assertEquals(0, store.task(x.id()).orElseThrow().judgementCount());
            assertEquals(8, store.datasetSummaries().get(0).aiJudgements());
            assertEquals(0, store.datasetSummaries().get(0).judgements());

            // priority = round(10000 × (1 − |2·mean − 1| + std)): t1 1.4, t2 0.975, t3 0.55, t0 0.1
            assertEquals(14_000, store.task(t.get(1).id()).orElseThrow().priority());
            assertEquals(1_000, store.task(t.get(0).id()).orElseThrow().priority());
            List<Long> served = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Annotator person = store.createAnnotator("person" + i, AnnotatorKind.HUMAN);
                served.add(store.nextTask(person.id(), d.id()).orElseThrow().task().id());
            }
            assertEquals(List.of(t.get(1).id(), t.get(2).id(), t.get(3).id(), t.get(0).id()), served,
                    "overlap 1 and every task still served once to a person, most doubtful first");

            // training data leaves AI labels out
            StringWriter w = new StringWriter();
            assertEquals(0, new FeedbackExporter(store).export(ExportOptions.of("d", ExportKind.PAIRS), w));
        }
    }

    @Test
    void aSecondPassSkipsWhatWasJudgedAndAChatJudgeThatFailsStoresNothingForThatPair() throws Exception {
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(tmp.resolve("f.db")));
             var server = new FakeChatServer(r -> r.body().contains("prompt 1")
                     ? new FakeChatServer.Reply(500, "{\"error\":\"boom\"}")
                     : new FakeChatServer.Reply(200, FakeChatServer.completion("B\nconfidence: 0.6", null)))) {
            Dataset d = store.createDataset("d", "", DatasetSettings.defaults().withOverlap(2).withGoldRate(0));
            List<Task> t = tasks(store, d, 3);
            var chat = new OpenAiChatJudge(new OpenAiChatJudge.Config(server.url(), "judge-model", null));
            JudgePass.Report r = new JudgePass(store).run("d", List.of(chat));
            JudgePass.JudgeReport jr = r.judges().get(0);
            assertEquals("ai:chat:judge-model", jr.judge());
            assertEquals(2, jr.judged());
            assertEquals(1, jr.failed());
            assertNotNull(jr.firstError());
            assertTrue(jr.firstError().startsWith("HTTP 500"), jr.firstError());
            assertTrue(store.judgementsForTask(t.get(1).id()).isEmpty(), "no judgement for the failed pair");
            Judgement ok = store.judgementsForTask(t.get(0).id()).get(0);
            assertEquals(0.6, ok.confidence(), 1e-12);
            // 1 − |2·0.4 − 1| = 0.8
            assertEquals(8_000, store.task(t.get(0).id()).orElseThrow().priority());
            assertEquals(0, store.task(t.get(1).id()).orElseThrow().priority(), "no AI label, priority untouched");

            int before = server.requests.size();
            JudgePass.Report again = new JudgePass(store).run("d", List.of(chat));
            assertEquals(2, again.judges().get(0).skipped());
            assertEquals(before + 1, server.requests.size(), "only the failed pair is asked again");
        }
    }

    @Test
    void aChatJudgeWhoseServerIsDownIsGivenUpAfterAFewFailures() throws Exception {
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(tmp.resolve("f.db")));
             var server = new FakeChatServer(r -> new FakeChatServer.Reply(503, "down"))) {
            Dataset d = store.createDataset("d", "", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
            tasks(store, d, 8);
            var chat = new OpenAiChatJudge(new OpenAiChatJudge.Config(server.url(), "m", null));
            JudgePass.JudgeReport jr = new JudgePass(store).run("d", List.of(chat)).judges().get(0);
            assertEquals(0, jr.judged());
            assertEquals(8, jr.failed());
            assertEquals(JudgePass.MAX_CONSECUTIVE_FAILURES, server.requests.size());
            assertTrue(jr.firstError().contains("gave up after 5 failures in a row; 3 pairs not tried"), jr.firstError());
            assertEquals(0, store.datasetSummaries().get(0).aiJudgements());
        }
    }
}
