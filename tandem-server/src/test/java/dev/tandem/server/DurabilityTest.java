package dev.tandem.server;

import static dev.tandem.server.Client.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every acknowledged judgement survives {@code kill -9}: a server in a separate JVM is SIGKILLed in the middle of a
 * stream of submissions, restarted on the same SQLite file, and every id it acknowledged is there exactly once.
 */
class DurabilityTest {
    @TempDir Path dir;

    record Started(Process process, URI uri, long dataset, String admin, Map<String, String> workers) {}

    record Ack(String worker, long assignmentId, String clientId, String body) {}

    @Test
    void acknowledgedJudgementsSurviveSigkill() throws Exception {
        Path db = dir.resolve("durable.db");
        Started first = startServer(db);
        ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        var http = Client.newHttp();
        for (Map.Entry<String, String> w : first.workers().entrySet()) {
            Client c = new Client(http, first.uri(), w.getValue());
            Thread t = new Thread(() -> {
                try {
                    for (int n = 0; !stop.get(); n++) {
                        JsonNode task = Fixture.next(c, first.dataset());
                        if (task == null) return;
                        long assignment = task.get("assignment").get("id").asLong();
                        String clientId = w.getKey() + "-" + n;
                        Client.Res r = Fixture.submit(c, assignment, clientId, obj("kind", "pairwise", "choice", n % 3 == 0 ? "tie" : "a"));
                        if (r.status() == 201) acks.add(new Ack(w.getKey(), assignment, clientId, r.body()));
                    }
                } catch (UncheckedIOException | AssertionError e) {
                    // the server died under us: expected
                }
            }, "worker-" + w.getKey());
            t.start();
            workers.add(t);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acks.size() < 200 && System.nanoTime() < deadline) Thread.sleep(5);
        first.process().destroyForcibly(); // SIGKILL, mid-stream
        assertTrue(first.process().waitFor(20, TimeUnit.SECONDS));
        assertEquals(137, first.process().exitValue(), "killed by SIGKILL");
        stop.set(true);
        for (Thread t : workers) t.join(30_000);
        assertTrue(acks.size() >= 200, "only " + acks.size() + " acknowledged before the kill");

        Started second = startServer(db);
        try {
            Client admin = new Client(http, second.uri(), second.admin());
            JsonNode page = admin.get("/api/datasets/" + second.dataset() + "/judgements?limit=10000").json();
            Map<String, Integer> counts = new HashMap<>();
            for (JsonNode j : page.get("judgements")) counts.merge(j.get("clientId").asText(), 1, Integer::sum);
            for (Ack a : acks) assertEquals(1, counts.getOrDefault(a.clientId(), 0), "acknowledged " + a.clientId() + " stored " + counts.get(a.clientId()) + " times");
            assertTrue(counts.values().stream().allMatch(c -> c == 1), "a client id is stored twice");
            assertTrue(counts.size() >= acks.size() && counts.size() <= acks.size() + first.workers().size(),
                    "stored " + counts.size() + ", acknowledged " + acks.size() + " (at most one in flight per worker)");
            // Retrying an acknowledged submission after the restart returns the same answer and stores nothing.
            Ack some = acks.peek();
            Client w = new Client(http, second.uri(), second.workers().get(some.worker()));
            Client.Res retry = Fixture.submit(w, some.assignmentId(), some.clientId(), obj("kind", "pairwise", "choice", "b"));
            assertEquals(201, retry.status(), retry.body());
            assertEquals("true", retry.header("Idempotent-Replayed"));
            assertEquals(some.body(), retry.body());
            assertEquals(counts.size(), admin.get("/api/datasets/" + second.dataset() + "/judgements?limit=10000").json().get("total").asInt());
        } finally {
            second.process().destroyForcibly();
            second.process().waitFor(20, TimeUnit.SECONDS);
        }
        assertFalse(second.process().isAlive());
    }

    static Started startServer(Path db) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ServerProcessMain.class.getName(), db.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Map<String, String> workers = new LinkedHashMap<>();
        long dataset = -1;
        String admin = null;
        int port = -1;
        for (String line; (line = out.readLine()) != null && !line.equals("ready"); ) {
            if (line.startsWith("dataset: ")) dataset = Long.parseLong(line.substring(9));
            else if (line.startsWith("admin: ")) admin = line.substring(7);
            else if (line.startsWith("worker: ")) {
                String[] nt = line.substring(8).split(" ");
                workers.put(nt[0], nt[1]);
            } else if (line.startsWith("port: ")) port = Integer.parseInt(line.substring(6));
        }
        if (port < 0) {
            p.destroyForcibly();
            throw new AssertionError("server process did not start (exit " + p.waitFor() + ")");
        }
        return new Started(p, URI.create("http://127.0.0.1:" + port), dataset, admin, workers);
    }
}
