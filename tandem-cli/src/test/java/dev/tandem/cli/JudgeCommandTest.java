package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.reward.FeatureConfig;
import dev.tandem.reward.Featurizer;
import dev.tandem.reward.LinearRewardModel;
import dev.tandem.reward.RewardModel;
import dev.tandem.reward.RewardModels;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem judge}: a reward-model judge pass and a chat judge against a fake OpenAI-compatible server. */
class JudgeCommandTest {
    @TempDir Path tmp;

    private static final String[][] PAIRS = {
        {"Tom went to the park.", "He played with a happy dog and laughed.", "He was sad and cried and cried."},
        {"Lily had a red ball.", "She shared it with her friend.", "It rolled away and she was angry."},
        {"The sun was up.", "Everyone smiled.", "The the the the."},
    };

    private Path store(String dataset) {
        Path db = tmp.resolve("feedback.db");
        try (FeedbackStore s = JdbcFeedbackStore.open(StoreConfig.sqlite(db))) {
            Dataset d = s.createDataset(dataset, "", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
            for (String[] p : PAIRS) {
                Prompt pr = s.addPrompt(d.id(), p[0], null, null);
                long a = s.addResponse(pr.id(), p[1], null).id(), b = s.addResponse(pr.id(), p[2], null).id();
                s.addTask(d.id(), NewTask.of(pr.id(), JudgementKind.PAIRWISE, List.of(a, b)));
            }
        }
        return db;
    }

    @Test
    void aRewardModelJudgePassStoresAiLabelsWithConfidence() throws Exception {
        Path db = store("stories");
        List<String> prompts = new ArrayList<>(), texts = new ArrayList<>();
        for (String[] p : PAIRS) { prompts.add(p[0]); texts.add(p[1]); prompts.add(p[0]); texts.add(p[2]); }
        Featurizer f = Featurizer.fit(new FeatureConfig(10, 1, 0, 0, true, false, true), prompts, texts);
        float[] w = new float[f.config().dim()];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        Path model = tmp.resolve("rm").resolve("model");
        new LinearRewardModel(f, w).save(model, Map.of());

        var res = CliTestSupport.run("judge", "--db", db.toString(), "--dataset", "stories", "--reward-model", model.toString());
        assertEquals(0, res.exitCode(), res.stderr());
        List<String> lines = res.out().lines().toList();
        assertEquals("ai:reward-model:rm/model: judged 3, already judged 0, failed 0", lines.get(0));
        assertEquals("judged: 3, prioritised: 3", lines.get(lines.size() - 1));

        try (FeedbackStore s = JdbcFeedbackStore.open(StoreConfig.sqlite(db)); RewardModel rm = RewardModels.load(model)) {
            var judge = s.annotatorByName("ai:reward-model:rm/model").orElseThrow();
            assertEquals(AnnotatorKind.AI_JUDGE, judge.kind());
            List<Task> tasks = s.tasks(s.datasetByName("stories").orElseThrow().id());
            for (Judgement j : s.judgementsBy(judge.id())) {
                Task t = tasks.stream().filter(x -> x.id() == j.taskId()).findFirst().orElseThrow();
                String[] p = PAIRS[tasks.indexOf(t)];
                float[] sc = rm.score(List.of(p[0], p[0]), List.of(p[1], p[2]));
                double pA = 1 / (1 + Math.exp(-(sc[0] - (double) sc[1])));
                var choice = ((JudgementPayload.Pairwise) j.inTaskOrder(t)).choice();
                assertEquals(pA > 0.5 ? JudgementPayload.Choice.A : JudgementPayload.Choice.B, choice);
                assertEquals(Math.max(pA, 1 - pA), j.confidence(), 1e-5);
                assertEquals(0, t.judgementCount());
            }
        }
        // a second pass has nothing left to do
        var again = CliTestSupport.run("judge", "--db", db.toString(), "--dataset", "stories", "--reward-model", model.toString());
        assertEquals(0, again.exitCode(), again.stderr());
        assertTrue(again.out().contains("judged 0, already judged 3"), again.out());
    }

    @Test
    void aChatJudgeAndItsErrors() throws Exception {
        Path db = store("chat");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean broken = body.contains("Lily");
            byte[] b = (broken ? "{\"error\": \"overloaded\"}"
                    : "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"A\\nconfidence: 0.7\"}}]}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(broken ? 500 : 200, b.length);
            try (OutputStream o = ex.getResponseBody()) { o.write(b); }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            var res = CliTestSupport.run("judge", "--db", db.toString(), "--dataset", "chat", "--openai-url", url, "--openai-model", "judge-1",
                    "--openai-api-key-env", "TANDEM_TEST_NO_SUCH_VARIABLE");
            assertEquals(1, res.exitCode(), "a failed pair makes the pass exit 1");
            assertTrue(res.out().contains("ai:chat:judge-1: judged 2, already judged 0, failed 1"), res.out());
            assertTrue(res.stderr().contains("error: ai:chat:judge-1: HTTP 500 from " + url + "/v1/chat/completions: {\"error\": \"overloaded\"}"),
                    res.stderr());
            try (FeedbackStore s = JdbcFeedbackStore.open(StoreConfig.sqlite(db))) {
                var js = s.judgements(s.datasetByName("chat").orElseThrow().id());
                assertEquals(2, js.size());
                for (Judgement j : js) assertEquals(0.7, j.confidence(), 1e-12);
            }
        } finally {
            server.stop(0);
        }
        var none = CliTestSupport.run("judge", "--db", db.toString(), "--dataset", "chat");
        assertEquals(2, none.exitCode());
        assertTrue(none.stderr().contains("give --reward-model DIR and/or --openai-url"), none.stderr());
        var unknown = CliTestSupport.run("judge", "--db", db.toString(), "--dataset", "nope", "--openai-url", "http://127.0.0.1:9", "--openai-model", "m");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.stderr().contains("dataset 'nope'"), unknown.stderr());
    }
}
