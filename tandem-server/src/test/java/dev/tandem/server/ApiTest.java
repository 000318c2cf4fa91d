package dev.tandem.server;

import static dev.tandem.server.Client.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON API over real HTTP on an ephemeral port, on a fresh SQLite store per test. */
class ApiTest {
    @TempDir Path dir;
    Fixture f;

    @BeforeEach
    void start() {
        f = new Fixture(TestDb.sqlite(dir).url(), ServerConfig.ephemeral());
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    void theFirstAdminTokenIsIssuedOnlyOnTheFirstStart() {
        Client.Res me = f.admin.get("/api/me");
        assertEquals(200, me.status(), me.body());
        assertTrue(me.json().get("admin").asBoolean());
        assertEquals("admin", me.json().get("kind").asText());
        assertEquals(64, f.server.initialAdminToken().orElseThrow().length());
        try (TandemServer again = TandemServer.start(f.store, ServerConfig.ephemeral())) {
            assertTrue(again.initialAdminToken().isEmpty(), "a second start must not issue another admin token");
            assertEquals(200, new Client(f.http, again.uri(), f.server.initialAdminToken().get()).get("/api/me").status());
        }
        assertEquals(1, f.store.annotators().size());
    }

    @Test
    void missingOrInvalidTokensGet401AndAnnotatorsCannotReachAdminRoutesOrOthersJudgements() {
        Client.Res none = f.anonymous().get("/api/me");
        assertEquals(401, none.status());
        assertEquals("unauthorized", none.json().get("error").asText());
        assertTrue(none.json().has("field") && none.json().has("reason"));
        assertEquals(401, f.admin.as("0".repeat(64)).get("/api/me").status());
        assertEquals(401, f.admin.as("not-a-token").get("/api/datasets").status());
        assertEquals(401, f.anonymous().send(f.anonymous().request("/api/me").header("Authorization", "Basic Zm9vOmJhcg==").GET()).status());

        Client alice = f.annotator("alice");
        Client bob = f.annotator("bob");
        long aliceId = f.annotatorId(alice);
        long bobId = f.annotatorId(bob);
        for (String path : List.of("/api/admin/overview", "/api/annotators", "/api/datasets/1/judgements", "/api/datasets/1/stats",
                "/api/datasets/1/export", "/api/datasets/1/tasks")) {
            Client.Res r = alice.get(path);
            assertEquals(403, r.status(), path + ": " + r.body());
            assertEquals("forbidden", r.json().get("error").asText());
        }
        assertEquals(403, alice.post("/api/datasets", obj("name", "mine")).status());
        assertEquals(403, alice.post("/api/annotators", obj("name", "mallory")).status());
        assertEquals(403, alice.get("/api/annotators/" + bobId + "/judgements").status());
        assertEquals(200, alice.get("/api/annotators/" + aliceId + "/judgements").status());
        assertEquals(200, f.admin.get("/api/annotators/" + bobId + "/judgements").status());

        // Another annotator's lease cannot be read or answered.
        long ds = f.dataset("auth", Map.of());
        f.addTasks(ds, List.of(Stories.pairwiseTask()));
        JsonNode task = Fixture.next(alice, ds);
        long assignment = task.get("assignment").get("id").asLong();
        assertEquals(403, bob.get("/api/assignments/" + assignment).status());
        assertEquals(403, Fixture.submit(bob, assignment, "b-1", obj("kind", "pairwise", "choice", "a")).status());

        // Revoked tokens stop working.
        assertEquals(200, f.admin.delete("/api/annotators/" + bobId + "/tokens").status());
        assertEquals(401, bob.get("/api/me").status());
        Client.Res reissued = f.admin.post("/api/annotators/" + bobId + "/tokens", obj());
        assertEquals(201, reissued.status());
        assertEquals(200, bob.as(reissued.json().get("token").asText()).get("/api/me").status());
    }

    @Test
    void aiJudgesCannotLeaseTasks() {
        long ds = f.dataset("judged", Map.of("overlap", 1));
        f.addTasks(ds, List.of(Stories.pairwiseTask()));
        Client judge = f.annotator("judge-bot", "ai-judge");
        Client.Res r = judge.get("/api/datasets/" + ds + "/next");
        assertEquals(403, r.status(), r.body());
        assertTrue(r.body().contains("tandem judge"), r.body());
        // the task is still there for a person
        assertEquals(200, f.annotator("carol").get("/api/datasets/" + ds + "/next").status());
    }

    @Test
    void annotatorsGetTasksInTheStoredOrderWithoutModelInfoAndSubmissionsAreIdempotent() throws Exception {
        long ds = f.dataset("stories", Map.of("overlap", 1));
        List<Long> taskIds = f.addTasks(ds, List.of(Stories.pairwiseTask()));
        Client alice = f.annotator("alice");

        Client.Res raw = alice.get("/api/datasets/" + ds + "/next");
        assertEquals(200, raw.status());
        for (String secret : List.of("stories15M", "stories260K", "ckpt-7f3a", "temperature", "gold"))
            assertFalse(raw.body().contains(secret), "the task view must not reveal '" + secret + "': " + raw.body());
        JsonNode task = raw.json();
        assertEquals(taskIds.get(0), task.get("task").get("id").asLong());
        assertEquals("pairwise", task.get("task").get("kind").asText());
        assertEquals(Stories.PROMPT, task.get("prompt").asText());
        long assignmentId = task.get("assignment").get("id").asLong();
        // Display order is the assignment's shownOrder.
        var assigned = f.store.assignment(assignmentId, f.annotatorId(alice));
        assertEquals("A", task.get("responses").get(0).get("label").asText());
        assertEquals(assigned.shownResponses().get(0).text(), task.get("responses").get(0).get("text").asText());
        assertEquals(assigned.shownResponses().get(1).text(), task.get("responses").get(1).get("text").asText());
        // A reload returns the same lease.
        assertEquals(assignmentId, Fixture.next(alice, ds).get("assignment").get("id").asLong());

        // Pick the side that shows the better story, double-clicked by 6 concurrent requests with one client id.
        String choice = task.get("responses").get(0).get("text").asText().equals(Stories.GOOD) ? "a" : "b";
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<Client.Res>> futures = new ArrayList<>();
        for (int i = 0; i < 6; i++)
            futures.add(pool.submit(() -> Fixture.submit(alice, assignmentId, "click-1", obj("kind", "pairwise", "choice", choice, "strength", "clearly"))));
        Set<String> bodies = new HashSet<>();
        int replays = 0;
        for (Future<Client.Res> fu : futures) {
            Client.Res r = fu.get();
            assertEquals(201, r.status(), r.body());
            bodies.add(r.body());
            if ("true".equals(r.header("Idempotent-Replayed"))) replays++;
        }
        pool.shutdown();
        assertEquals(1, bodies.size(), "every retry must get the same answer: " + bodies);
        assertEquals(5, replays);
        List<Judgement> stored = f.store.judgements(ds);
        assertEquals(1, stored.size());
        Task t = f.store.task(taskIds.get(0)).orElseThrow();
        JudgementPayload.Pairwise canonical = (JudgementPayload.Pairwise) stored.get(0).inTaskOrder(t);
        assertEquals(JudgementPayload.Choice.A, canonical.choice(), "the better story is first in task order");
        assertEquals(JudgementPayload.Strength.CLEARLY, canonical.strength());
        assertEquals(1200, stored.get(0).durationMillis());

        // Answering the same lease again under a new id is a conflict; nothing is left for alice.
        assertEquals(409, Fixture.submit(alice, assignmentId, "click-2", obj("kind", "pairwise", "choice", "tie")).status());
        assertNull(Fixture.next(alice, ds));
        JsonNode me = alice.get("/api/me").json();
        assertEquals(1, me.get("today").asInt());
        assertEquals(1, me.get("judgements").asInt());
        JsonNode mine = alice.get("/api/annotators/" + f.annotatorId(alice) + "/judgements").json();
        assertEquals(1, mine.get("total").asInt());
        assertTrue(mine.get("judgements").get(0).get("goldCorrect").isNull(), "annotators must not learn gold status");
    }

    @Test
    void skippedTasksGoBackToTheQueueForOthers() {
        long ds = f.dataset("skip", Map.of("overlap", 1));
        f.addTasks(ds, List.of(Stories.pairwiseTask()));
        Client alice = f.annotator("alice");
        Client bob = f.annotator("bob");
        JsonNode a = Fixture.next(alice, ds);
        assertNull(Fixture.next(bob, ds), "overlap 1: the only task is leased to alice");
        assertEquals(204, alice.post("/api/assignments/" + a.get("assignment").get("id").asLong() + "/release", obj()).status());
        assertNull(Fixture.next(alice, ds), "alice skipped it and does not get it again");
        assertEquals(a.get("task").get("id").asLong(), Fixture.next(bob, ds).get("task").get("id").asLong());
    }

    @Test
    void validationErrorsName400FieldsAndWriteNothing() {
        long ds = f.dataset("valid", Map.of());
        f.addTasks(ds, List.of(Stories.pairwiseTask()));
        Client alice = f.annotator("alice");
        long assignment = Fixture.next(alice, ds).get("assignment").get("id").asLong();
        String path = "/api/assignments/" + assignment + "/judgement";

        assertError(alice.post(path, obj("payload", obj("kind", "pairwise", "choice", "a"))), 400, "clientId");
        assertError(alice.post(path, obj("clientId", "x1")), 400, "payload");
        assertError(alice.post(path, obj("clientId", "x1", "payload", obj("kind", "pairwise", "choice", "c"))), 400, "payload.choice");
        assertError(alice.post(path, obj("clientId", "x1", "payload", obj("kind", "sorting"))), 400, "payload.kind");
        assertError(alice.post(path, obj("clientId", "x1", "payload", obj("kind", "ranking", "ranks", List.of(0, 1)))), 400, "payload");
        assertError(alice.post(path, obj("clientId", "x1", "payload", obj("kind", "pairwise", "choice", "tie", "strength", "much"))), 400, "payload");
        assertError(alice.post(path, obj("clientId", "x1", "durationMillis", -5, "payload", obj("kind", "pairwise", "choice", "a"))), 400, "durationMillis");
        assertError(alice.post(path, obj("clientId", "x1", "confidence", 1.5, "payload", obj("kind", "pairwise", "choice", "a"))), 400, "confidence");
        assertError(alice.post(path, "{not json"), 400, null);
        assertError(alice.post(path, "[1,2]"), 400, null);
        assertTrue(f.store.judgements(ds).isEmpty());

        assertError(f.admin.post("/api/datasets", obj("name", "x", "settings", obj("overlap", 0))), 400, "settings.overlap");
        assertError(f.admin.post("/api/datasets", obj("name", "  ")), 400, "name");
        assertError(f.admin.post("/api/datasets", obj("name", "valid")), 409, null);
        assertError(f.admin.post("/api/annotators", obj("name", "eve", "kind", "wizard")), 400, "kind");
        // The second task is bad: the whole request is refused and the first is not stored either.
        int before = f.store.tasks(ds).size();
        Map<String, Object> bad = obj("kind", "pairwise", "prompt", "p", "responses", List.of(obj("text", "only one")));
        assertError(f.admin.post("/api/datasets/" + ds + "/tasks", obj("tasks", List.of(Stories.manyPairwise(1, "v").get(0), bad))),
                400, "tasks[1].responses");
        assertError(f.admin.post("/api/datasets/" + ds + "/tasks", obj("tasks", List.of(obj("kind", "ranking", "prompt", "p",
                "responses", List.of(obj("text", "x"), obj("text", "y")), "goldAnswer", obj("kind", "ranking", "ranks", List.of(0, 5)))))),
                400, "tasks[0].goldAnswer");
        assertError(f.admin.post("/api/datasets/" + ds + "/tasks", obj("tasks", List.of(obj("kind", "pairwise", "prompt", "p",
                "responses", List.of(obj("text", "x"), obj("text", 3)))))), 400, "tasks[0].responses[1].text");
        assertEquals(before, f.store.tasks(ds).size());
        assertError(f.admin.get("/api/datasets/" + ds + "/export?kind=everything"), 400, "kind");
        assertError(f.admin.get("/api/datasets/" + ds + "/export?minAgreement=2"), 400, "minAgreement");
        assertError(f.admin.get("/api/datasets/999/stats"), 404, null);
        assertError(f.admin.get("/api/datasets/abc"), 404, null);
        assertError(f.admin.get("/api/no/such/route"), 404, null);
    }

    @Test
    void bodiesOverTheLimitGet413AndStoreNothing() {
        long ds = f.dataset("big", Map.of());
        byte[] big = ("{\"tasks\":[{\"kind\":\"pairwise\",\"prompt\":\"" + "x".repeat(1_200_000) + "\"}]}").getBytes();
        Client.Res sized = f.admin.send(f.admin.request("/api/datasets/" + ds + "/tasks")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(big)));
        assertError(sized, 413, null);
        // Without Content-Length (chunked): the limit is enforced while reading.
        Client.Res chunked = f.admin.send(f.admin.request("/api/datasets/" + ds + "/tasks")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
        assertError(chunked, 413, null);
        assertTrue(f.store.tasks(ds).isEmpty());
        // Just under the limit is fine (and then fails validation for its own reasons, not size).
        byte[] ok = ("{\"tasks\":[{\"kind\":\"pairwise\",\"prompt\":\"" + "x".repeat(900_000) + "\"}]}").getBytes();
        Client.Res under = f.admin.send(f.admin.request("/api/datasets/" + ds + "/tasks")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(ok)));
        assertError(under, 400, "tasks[0].prompt");
    }

    @Test
    void eachTokenHasItsOwnRateLimit() throws Exception {
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(dir.resolve("limited.db")));
             TandemServer server = TandemServer.start(store, ServerConfig.ephemeral().withRateLimit(RateLimit.of(3, 0.2)))) {
            Client admin = new Client(f.http, server.uri(), server.initialAdminToken().orElseThrow());
            Client.Res created = admin.post("/api/annotators", obj("name", "carol"));
            assertEquals(201, created.status());
            Client carol = admin.as(created.json().get("token").asText());
            for (int i = 0; i < 3; i++) assertEquals(200, carol.get("/api/me").status());
            Client.Res limited = carol.get("/api/me");
            assertError(limited, 429, null);
            int retryAfter = Integer.parseInt(limited.header("Retry-After"));
            assertTrue(retryAfter >= 1 && retryAfter <= 5, "Retry-After " + retryAfter);
            // The admin's bucket is separate (1 request used above, 2 left).
            assertEquals(200, admin.get("/api/me").status());
        }
    }

    @Test
    void exportStreamsConsensusPairsAsJsonl() {
        long ds = f.dataset("export", Map.of("overlap", 1));
        f.addTasks(ds, Stories.manyPairwise(5, "e"));
        Client alice = f.annotator("alice");
        int n = 0;
        for (JsonNode t; (t = Fixture.next(alice, ds)) != null; n++) {
            // Always prefer the response about the ball, whichever side it is shown on.
            String choice = t.get("responses").get(0).get("text").asText().contains("red ball") ? "a" : "b";
            assertEquals(201, Fixture.submit(alice, t.get("assignment").get("id").asLong(), "e" + n, obj("kind", "pairwise", "choice", choice)).status());
        }
        assertEquals(5, n);
        Client.Res r = f.admin.get("/api/datasets/" + ds + "/export?kind=pairs");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("Content-Type").startsWith("application/x-ndjson"), r.header("Content-Type"));
        assertTrue(r.header("Content-Disposition").contains("export-pairs.jsonl"));
        List<String> lines = r.body().lines().toList();
        assertEquals(5, lines.size());
        for (String line : lines) {
            JsonNode row = readJson(line);
            assertTrue(row.get("chosen").asText().contains("red ball"), line);
            assertTrue(row.get("rejected").asText().contains("bird sang"), line);
        }
        assertEquals(0, f.admin.get("/api/datasets/" + ds + "/export?kind=rankings").body().lines().count());
    }

    @Test
    void statsGiveAgreementSideBiasAndThroughput() {
        long ds = f.dataset("agree", Map.of("overlap", 2));
        f.addTasks(ds, Stories.manyPairwise(6, "s"));
        Client alice = f.annotator("alice");
        Client bob = f.annotator("bob");
        int k = 0;
        for (Client who : List.of(alice, bob)) {
            for (JsonNode t; (t = Fixture.next(who, ds)) != null; k++) {
                boolean ballFirst = t.get("responses").get(0).get("text").asText().contains("red ball");
                // Both prefer the ball story, except bob on task prompts ending in #0 (one disagreement).
                boolean disagree = who == bob && t.get("prompt").asText().contains("#0:");
                String choice = ballFirst ^ disagree ? "a" : "b";
                assertEquals(201, Fixture.submit(who, t.get("assignment").get("id").asLong(), "s" + k, obj("kind", "pairwise", "choice", choice)).status());
            }
        }
        assertEquals(12, k);
        JsonNode s = f.admin.get("/api/datasets/" + ds + "/stats").json();
        assertEquals(12, s.get("dataset").get("counts").get("judgements").asInt());
        assertEquals(6, s.get("dataset").get("counts").get("done").asInt());
        assertEquals(5.0 / 6, s.get("percentAgreement").asDouble(), 1e-9);
        assertNotNull(s.get("krippendorffAlpha"));
        JsonNode pair = s.get("pairs").get(0);
        assertEquals("alice", pair.get("nameA").asText());
        assertEquals("bob", pair.get("nameB").asText());
        assertEquals(6, pair.get("sharedTasks").asInt());
        assertEquals(12, s.get("sideBias").get("decided").asInt());
        Map<String, Integer> dist = Client.JSON.convertValue(s.get("labelDistribution").get("pairwise"),
                Client.JSON.getTypeFactory().constructMapType(Map.class, String.class, Integer.class));
        assertEquals(12, dist.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(2, s.get("annotators").size());
        assertEquals(6, s.get("annotators").get(0).get("judgements").asInt());
        JsonNode overview = f.admin.get("/api/admin/overview").json();
        assertEquals(1, overview.get("datasets").size());
        assertEquals(2, overview.get("annotators").size());
    }

    @Test
    void openApiDescribesEveryRegisteredRoute() {
        Client.Res r = f.anonymous().get("/openapi.json");
        assertEquals(200, r.status());
        JsonNode doc = r.json();
        assertEquals("3.0.3", doc.get("openapi").asText());
        JsonNode paths = doc.get("paths");
        List<String> registered = f.server.registeredHandlers();
        assertTrue(registered.size() >= 20, "routes: " + registered);
        for (String route : registered) {
            String[] mp = route.split(" ", 2);
            assertTrue(paths.has(mp[1]) && paths.get(mp[1]).has(mp[0].toLowerCase()), "undocumented route " + route);
        }
        int operations = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            for (Iterator<String> m = p.getValue().fieldNames(); m.hasNext(); operations++)
                assertTrue(registered.contains(m.next().toUpperCase() + " " + p.getKey()), "documented but not served: " + p.getKey());
        }
        assertEquals(registered.size(), operations);
        // Every schema reference resolves.
        JsonNode schemas = doc.get("components").get("schemas");
        for (String ref : r.body().split("\"\\$ref\"")) {
            if (!ref.startsWith(" : \"#/components/schemas/") && !ref.startsWith(":\"#/components/schemas/")) continue;
            String name = ref.substring(ref.indexOf("schemas/") + 8, ref.indexOf('"', ref.indexOf("schemas/")));
            assertTrue(schemas.has(name), "dangling $ref " + name);
        }
        // Admin routes say they need a bearer token and may answer 403.
        JsonNode createDataset = paths.get("/api/datasets").get("post");
        assertTrue(createDataset.get("responses").has("403"));
        assertEquals("bearer", createDataset.get("security").get(0).fieldNames().next());
    }

    @Test
    void pagesCarryAStrictContentSecurityPolicy() {
        for (String page : List.of("/", "/index.html", "/login.html", "/annotate.html", "/admin.html", "/js/annotate.js", "/api/health")) {
            Client.Res r = f.anonymous().get(page);
            assertEquals(200, r.status(), page);
            String csp = r.header("Content-Security-Policy");
            assertNotNull(csp, page);
            assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), csp);
            assertEquals("nosniff", r.header("X-Content-Type-Options"));
        }
        for (String page : List.of("/index.html", "/login.html", "/annotate.html", "/admin.html")) {
            String html = f.anonymous().get(page).body();
            assertFalse(html.matches("(?s).*<script(?![^>]*\\bsrc=)[^>]*>.*"), page + " has an inline script");
            assertFalse(html.matches("(?s).*\\son[a-z]+=.*"), page + " has an inline event handler");
            assertFalse(html.contains("style=\""), page + " has an inline style");
        }
        Client.Res echarts = f.anonymous().get(TandemServer.ECHARTS_PATH);
        assertEquals(200, echarts.status());
        assertTrue(echarts.body().length() > 500_000 && echarts.body().contains("echarts"));
    }

    static void assertError(Client.Res r, int status, String field) {
        assertEquals(status, r.status(), r.body());
        JsonNode e = r.json();
        assertTrue(e.hasNonNull("error") && e.hasNonNull("reason"), r.body());
        if (field != null) assertEquals(field, e.get("field").asText(), r.body());
    }

    static JsonNode readJson(String s) {
        try {
            return Client.JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }
}
