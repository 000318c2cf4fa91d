package dev.tandem.server;

import static dev.tandem.server.Client.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;

/** A store plus a running server on an ephemeral port, an HTTP client and the bootstrap admin's token. */
final class Fixture implements AutoCloseable {
    final FeedbackStore store;
    final TandemServer server;
    final HttpClient http = Client.newHttp();
    final Client admin;

    Fixture(String jdbcUrl, ServerConfig config) {
        this(JdbcFeedbackStore.open(StoreConfig.of(jdbcUrl).withMaxPoolSize(8)), config);
    }

    Fixture(FeedbackStore store, ServerConfig config) {
        this(store, config, null);
    }

    /** With a live loop attached (null for none). */
    Fixture(FeedbackStore store, ServerConfig config, ServedLoop loop) {
        this.store = store;
        this.server = TandemServer.start(store, config, loop);
        this.admin = new Client(http, server.uri(), server.initialAdminToken().orElseThrow());
    }

    Client anonymous() { return new Client(http, server.uri(), null); }

    /** Creates an annotator through the API and returns a client holding its token. */
    Client annotator(String name) { return annotator(name, "human"); }

    Client annotator(String name, String kind) {
        Client.Res r = admin.post("/api/annotators", obj("name", name, "kind", kind));
        assertEquals(201, r.status(), r.body());
        return admin.as(r.json().get("token").asText());
    }

    long annotatorId(Client c) { return c.get("/api/me").json().get("id").asLong(); }

    long dataset(String name, Map<String, Object> settings) {
        Client.Res r = admin.post("/api/datasets", obj("name", name, "description", "test dataset", "settings", settings));
        assertEquals(201, r.status(), r.body());
        return r.json().get("id").asLong();
    }

    List<Long> addTasks(long datasetId, List<Map<String, Object>> tasks) {
        Client.Res r = admin.post("/api/datasets/" + datasetId + "/tasks", obj("tasks", tasks));
        assertEquals(201, r.status(), r.body());
        return Client.JSON.convertValue(r.json().get("taskIds"), Client.JSON.getTypeFactory().constructCollectionType(List.class, Long.class));
    }

    /** Fetches the next task as {@code who}; null when nothing is left (204). */
    static JsonNode next(Client who, long datasetId) {
        Client.Res r = who.get("/api/datasets/" + datasetId + "/next");
        if (r.status() == 204) return null;
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    static Client.Res submit(Client who, long assignmentId, String clientId, Map<String, Object> payload) {
        return who.post("/api/assignments/" + assignmentId + "/judgement",
                obj("clientId", clientId, "payload", payload, "durationMillis", 1200));
    }

    @Override
    public void close() {
        server.close();
        store.close();
    }
}
