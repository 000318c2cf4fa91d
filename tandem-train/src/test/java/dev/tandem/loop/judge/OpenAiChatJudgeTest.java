package dev.tandem.loop.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.JudgementPayload.Choice;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The chat judge against a fake OpenAI-compatible server in this process. */
class OpenAiChatJudgeTest {
    private static final AiJudge.Pair PAIR = new AiJudge.Pair("Once upon a time", "a happy ending", "a sad ending");

    private static OpenAiChatJudge judge(FakeChatServer s, String key) {
        return new OpenAiChatJudge(new OpenAiChatJudge.Config(s.url(), "judge-model", key, Duration.ofSeconds(10), true));
    }

    @Test
    void sendsTheInstructionAndBothResponsesAndReadsConfidenceFromLogprobs() throws Exception {
        String logprobs = "[{\"token\":\"A\",\"logprob\":" + Math.log(0.9) + ",\"top_logprobs\":["
                + "{\"token\":\"A\",\"logprob\":" + Math.log(0.9) + "},{\"token\":\" B\",\"logprob\":" + Math.log(0.06) + "},"
                + "{\"token\":\"TIE\",\"logprob\":" + Math.log(0.02) + "},{\"token\":\"The\",\"logprob\":" + Math.log(0.02) + "}]}]";
        try (var s = new FakeChatServer(r -> new FakeChatServer.Reply(200, FakeChatServer.completion("A", logprobs)))) {
            AiJudge.Verdict v = judge(s, "sk-secret-123").judge(List.of(PAIR)).get(0);
            assertEquals(Choice.A, v.choice());
            assertEquals(0.9 / 0.98, v.confidence(), 1e-9, "the answer's share of the A/B/TIE mass");
            assertEquals(v.confidence(), v.probabilityA(), 1e-12);
            FakeChatServer.Request req = s.requests.get(0);
            assertEquals("Bearer sk-secret-123", req.authorization());
            JsonNode body = new ObjectMapper().readTree(req.body());
            assertEquals("judge-model", body.path("model").asText());
            assertTrue(body.path("logprobs").asBoolean());
            assertEquals(0, body.path("temperature").asInt());
            assertEquals("system", body.path("messages").path(0).path("role").asText());
            assertTrue(body.path("messages").path(0).path("content").asText().contains("Reply with exactly one word"));
            String user = body.path("messages").path(1).path("content").asText();
            assertTrue(user.contains("Once upon a time") && user.contains("Response A:\na happy ending")
                    && user.contains("Response B:\na sad ending"), user);
        }
    }

    @Test
    void withoutLogprobsTheConfidenceComesFromTheStatedAnswer() throws Exception {
        String[] replies = {"The answer is B.\nconfidence: 0.8", "**Response A** is better, I am 90% confident", "tie", "B"};
        java.util.concurrent.atomic.AtomicInteger i = new java.util.concurrent.atomic.AtomicInteger();
        try (var s = new FakeChatServer(r -> new FakeChatServer.Reply(200, FakeChatServer.completion(replies[i.getAndIncrement()], null)))) {
            List<AiJudge.Verdict> v = judge(s, null).judge(List.of(PAIR, PAIR, PAIR, PAIR));
            assertEquals(Choice.B, v.get(0).choice());
            assertEquals(0.8, v.get(0).confidence(), 1e-12);
            assertEquals(0.2, v.get(0).probabilityA(), 1e-12);
            assertEquals(Choice.A, v.get(1).choice());
            assertEquals(0.9, v.get(1).confidence(), 1e-12);
            assertEquals(Choice.TIE, v.get(2).choice());
            assertEquals(0.5, v.get(2).probabilityA());
            assertEquals(Choice.B, v.get(3).choice());
            assertEquals(OpenAiChatJudge.DEFAULT_CONFIDENCE, v.get(3).confidence());
            assertNull(s.requests.get(0).authorization(), "no key, no header");
        }
    }

    @Test
    void anHttpErrorAMalformedReplyAndAnUnreadableAnswerAreClearErrors() throws Exception {
        try (var s = new FakeChatServer(r -> new FakeChatServer.Reply(500, "{\"error\":{\"message\":\"model crashed\"}}"))) {
            var e = assertThrows(JudgeException.class, () -> judge(s, "sk-secret-123").judge(List.of(PAIR)));
            assertTrue(e.getMessage().startsWith("HTTP 500 from " + s.url() + "/v1/chat/completions"), e.getMessage());
            assertTrue(e.getMessage().contains("model crashed"), e.getMessage());
            assertFalse(e.getMessage().contains("sk-secret"), "the key never appears in messages");
        }
        try (var s = new FakeChatServer(r -> new FakeChatServer.Reply(200, "{\"choices\": [{\"message\": {\"content\": \"A\""))) {
            var e = assertThrows(JudgeException.class, () -> judge(s, null).judge(List.of(PAIR)));
            assertTrue(e.getMessage().startsWith("malformed JSON in the reply"), e.getMessage());
        }
        try (var s = new FakeChatServer(r -> new FakeChatServer.Reply(200, "{\"object\":\"chat.completion\",\"choices\":[]}"))) {
            var e = assertThrows(JudgeException.class, () -> judge(s, null).judge(List.of(PAIR)));
            assertTrue(e.getMessage().contains("no choices[0].message.content"), e.getMessage());
        }
        try (var s = new FakeChatServer(r -> new FakeChatServer.Reply(200, FakeChatServer.completion("Both are lovely stories.", null)))) {
            var e = assertThrows(JudgeException.class, () -> judge(s, null).judge(List.of(PAIR)));
            assertTrue(e.getMessage().startsWith("no answer (A, B or TIE) in the reply"), e.getMessage());
        }
    }

    @Test
    void aServerThatRefusesLogprobsIsAskedAgainWithoutThem() throws Exception {
        try (var s = new FakeChatServer(r -> r.body().contains("\"logprobs\"")
                ? new FakeChatServer.Reply(400, "{\"error\":\"logprobs not supported\"}")
                : new FakeChatServer.Reply(200, FakeChatServer.completion("B", null)))) {
            OpenAiChatJudge j = judge(s, null);
            assertEquals(Choice.B, j.judge(List.of(PAIR)).get(0).choice());
            assertEquals(Choice.B, j.judge(List.of(PAIR)).get(0).choice());
            assertEquals(3, s.requests.size(), "after one refusal it stops asking for logprobs");
        }
    }

    @Test
    void aReplyThatNeverComesTimesOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (var s = new FakeChatServer(r -> {
            try { release.await(30, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            return new FakeChatServer.Reply(200, FakeChatServer.completion("A", null));
        })) {
            var j = new OpenAiChatJudge(new OpenAiChatJudge.Config(s.url() + "/v1/", "m", null, Duration.ofMillis(300), false));
            var e = assertThrows(JudgeException.class, () -> j.judge(List.of(PAIR)));
            assertTrue(e.getMessage().contains("no reply from " + s.url() + "/v1/chat/completions within 300 ms"), e.getMessage());
        } finally {
            release.countDown();
        }
    }

    @Test
    void parsesAnswersRobustly() {
        assertEquals(Choice.A, OpenAiChatJudge.parseAnswer("A"));
        assertEquals(Choice.B, OpenAiChatJudge.parseAnswer("  b."));
        assertEquals(Choice.B, OpenAiChatJudge.parseAnswer("{\"answer\": \"B\", \"confidence\": 0.7}"));
        assertEquals(Choice.A, OpenAiChatJudge.parseAnswer("<think>B looks odd, A flows</think>\nA"));
        assertEquals(Choice.B, OpenAiChatJudge.parseAnswer("After reading both: Response B is clearly better."));
        assertEquals(Choice.TIE, OpenAiChatJudge.parseAnswer("Verdict: TIE"));
        assertEquals(Choice.A, OpenAiChatJudge.parseAnswer("Final answer: (A)"));
        assertThrows(JudgeException.class, () -> OpenAiChatJudge.parseAnswer(""));
        assertEquals(0.7, OpenAiChatJudge.statedConfidence("{\"answer\": \"B\", \"confidence\": 0.7}"));
        assertNull(OpenAiChatJudge.statedConfidence("A"));
        assertEquals("Config[baseUrl=http://x, model=m, apiKey=(set), timeout=PT1M, logprobs=true]",
                new OpenAiChatJudge.Config("http://x", "m", "sk-secret").toString());
    }
}
