package dev.tandem.server;

import static dev.tandem.server.Client.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live-loop routes over HTTP with a stand-in loop (the real loop is driven by {@link LoopBrowserTest}): admins
 * only, 404 without a loop, listed in OpenAPI, and model versions never reach annotators.
 */
class LoopApiTest {

    /** A loop that answers fixed snapshots and counts how often it is asked. */
    static final class StubLoop implements ServedLoop {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public Object status() {
            calls.incrementAndGet();
            Map<String, Object> s = new java.util.LinkedHashMap<>();
            s.put("policyVersion", "v2");
            s.put("rewardModelVersion", 3);
            s.put("training", true);
            s.put("lastError", null);
            return s;
        }

        @Override
        public Object history() {
            calls.incrementAndGet();
            return Map.of("samples", List.of(Map.of("version", 2, "pairs",
                    List.of(Map.of("prompt", "Once", "original", "<script>x()</script>", "tuned", "a story")))));
        }
    }

    @Test
    void adminsReadStatusAndHistoryOthersCannot(@TempDir Path dir) {
        StubLoop loop = new StubLoop();
        try (Fixture f = new Fixture(JdbcFeedbackStore.open(StoreConfig.of(TestDb.sqlite(dir).url())),
                ServerConfig.ephemeral(), loop)) {
            Client.Res s = f.admin.get("/api/loop/status");
            assertEquals(200, s.status(), s.body());
            assertEquals("v2", s.json().get("policyVersion").asText());
            assertEquals(3, s.json().get("rewardModelVersion").asInt());
            assertTrue(s.json().get("training").asBoolean());
            assertTrue(s.json().get("lastError").isNull());
            assertEquals("no-store", s.header("Cache-Control"));
            Client.Res h = f.admin.get("/api/loop/history");
            assertEquals(200, h.status(), h.body());
            assertEquals("<script>x()</script>", h.json().at("/samples/0/pairs/0/original").asText(), "text passes as JSON data");
            assertEquals(2, loop.calls.get());

            Client alice = f.annotator("alice");
            for (String path : List.of("/api/loop/status", "/api/loop/history")) {
                assertEquals(403, alice.get(path).status(), path);
                assertEquals(401, f.anonymous().get(path).status(), path);
            }
            assertEquals(2, loop.calls.get(), "refused callers never reach the loop");
        }
    }

    @Test
    void withoutALoopTheRoutesAnswer404AndOpenApiListsThem(@TempDir Path dir) {
        try (Fixture f = new Fixture(TestDb.sqlite(dir).url(), ServerConfig.ephemeral())) {
            Client.Res r = f.admin.get("/api/loop/status");
            assertEquals(404, r.status());
            assertEquals("not_found", r.json().get("error").asText());
            assertTrue(r.json().get("reason").asText().contains("--loop"), r.body());
            assertEquals(404, f.admin.get("/api/loop/history").status());

            JsonNode doc = f.anonymous().get("/openapi.json").json();
            for (String[] route : new String[][] {{"/api/loop/status", "LoopStatus"}, {"/api/loop/history", "LoopHistory"}}) {
                JsonNode op = doc.at("/paths/" + route[0].replace("/", "~1") + "/get");
                assertFalse(op.isMissingNode(), route[0] + " missing from OpenAPI");
                assertEquals("#/components/schemas/" + route[1], op.at("/responses/200/content/application~1json/schema/$ref").asText());
                assertTrue(op.at("/responses").has("403") && op.at("/responses").has("404"), op.toString());
                assertTrue(doc.at("/components/schemas").has(route[1]));
            }
            assertTrue(f.server.registeredHandlers().contains("GET /api/loop/status"));
        }
    }

    /** What an annotator receives for a task never says which model or version wrote which side. */
    @Test
    void annotatorsNeverSeeModelVersions(@TempDir Path dir) {
        try (Fixture f = new Fixture(TestDb.sqlite(dir).url(), ServerConfig.ephemeral())) {
            long ds = f.dataset("live", Map.of("overlap", 1));
            f.addTasks(ds, List.of(obj("kind", "pairwise", "prompt", "Once upon a time",
                    "responses", List.of(obj("text", "Lily found a ball.", "model", obj("id", "stories260K", "version", "v0")),
                            obj("text", "Tom saw a bird.", "model", obj("id", "stories260K", "version", "v7"))))));
            Client bob = f.annotator("bob");
            JsonNode task = Fixture.next(bob, ds);
            List<String> fields = fieldNames(task);
            assertFalse(fields.stream().anyMatch(n -> n.toLowerCase(java.util.Locale.ROOT).contains("model")
                    || n.toLowerCase(java.util.Locale.ROOT).contains("version")), fields.toString());
            assertFalse(task.toString().contains("v7") || task.toString().contains("stories260K"), task.toString());
            assertEquals(201, Fixture.submit(bob, task.at("/assignment/id").asLong(), "c1", obj("kind", "pairwise", "choice", "a")).status());
            JsonNode mine = bob.get("/api/annotators/" + f.annotatorId(bob) + "/judgements").json();
            assertFalse(mine.toString().contains("v7") || mine.toString().contains("stories260K"), mine.toString());
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.add(e.getKey());
                out.addAll(fieldNames(e.getValue()));
            }
        } else if (n.isArray()) {
            for (JsonNode x : n) out.addAll(fieldNames(x));
        }
        return out;
    }
}
