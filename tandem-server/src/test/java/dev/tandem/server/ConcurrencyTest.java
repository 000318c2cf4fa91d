package dev.tandem.server;

import static dev.tandem.server.Client.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.feedback.Judgement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many annotators label one overlap-1 dataset at the same time over HTTP: no task is handed to two of them, no
 * acknowledged judgement is lost, none is stored twice. On SQLite and on PostgreSQL.
 */
class ConcurrencyTest {
    static final int CLIENTS = 32;
    static final int TASKS = 240;

    @TempDir Path dir;

    @Test
    void sqlite() throws Exception {
        run(TestDb.sqlite(dir));
    }

    @Test
    void postgres() throws Exception {
        try (TestDb db = TestDb.postgres()) {
            run(db);
        }
    }

    record Ack(String annotator, long taskId, String clientId, long judgementId) {}

    void run(TestDb db) throws Exception {
        try (Fixture f = new Fixture(db.url(), ServerConfig.ephemeral().withRateLimit(RateLimit.unlimited()))) {
            long ds = f.dataset("concurrent", Map.of("overlap", 1));
            f.addTasks(ds, Stories.manyPairwise(TASKS, "c"));
            List<Client> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) clients.add(f.annotator("annotator-" + i, "simulated"));

            ConcurrentLinkedQueue<Long> leased = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<Integer>> done = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                Client c = clients.get(i);
                String name = "annotator-" + i;
                done.add(pool.submit(() -> {
                    int n = 0;
                    for (JsonNode t; (t = Fixture.next(c, ds)) != null; n++) {
                        long taskId = t.get("task").get("id").asLong();
                        leased.add(taskId);
                        String clientId = name + "-" + n;
                        Client.Res r = Fixture.submit(c, t.get("assignment").get("id").asLong(), clientId,
                                obj("kind", "pairwise", "choice", n % 2 == 0 ? "a" : "b"));
                        assertEquals(201, r.status(), r.body());
                        acks.add(new Ack(name, taskId, clientId, r.json().get("id").asLong()));
                    }
                    return n;
                }));
            }
            int total = 0;
            for (Future<Integer> d : done) total += d.get(120, TimeUnit.SECONDS);
            pool.shutdown();

            assertEquals(TASKS, total, "every task labelled once");
            assertEquals(TASKS, leased.size());
            assertEquals(TASKS, new HashSet<>(leased).size(), "a task was handed to two annotators");
            List<Judgement> stored = f.store.judgements(ds);
            assertEquals(TASKS, stored.size());
            assertEquals(TASKS, stored.stream().map(Judgement::taskId).distinct().count());
            Set<String> storedIds = stored.stream().map(Judgement::clientId).collect(Collectors.toSet());
            for (Ack a : acks) assertTrue(storedIds.contains(a.clientId()), "acknowledged but lost: " + a);
            assertEquals(acks.stream().map(Ack::judgementId).collect(Collectors.toSet()),
                    stored.stream().map(Judgement::id).collect(Collectors.toSet()));
            // Work was actually spread over the annotators.
            assertTrue(acks.stream().map(Ack::annotator).distinct().count() >= CLIENTS / 2,
                    "only " + acks.stream().map(Ack::annotator).distinct().count() + " annotators got work");
            assertEquals(204, clients.get(0).get("/api/datasets/" + ds + "/next").status());
        }
    }
}
