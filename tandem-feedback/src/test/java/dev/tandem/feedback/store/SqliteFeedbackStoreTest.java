package dev.tandem.feedback.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Submission;
import dev.tandem.feedback.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class SqliteFeedbackStoreTest extends FeedbackStoreContract {
    @Override
    TestDatabase newDatabase(Path dir) { return TestDatabase.sqlite(dir); }

    @Test
    void pooledConnectionsUseWalWithFullSyncAndABusyTimeout() throws Exception {
        var hikari = (JdbcFeedbackStore) store;
        try (Connection c = hikari.connectionForTests(); Statement s = c.createStatement()) {
            assertEquals("wal", pragma(s, "journal_mode"));
            assertEquals("2", pragma(s, "synchronous"), "FULL");
            assertEquals("30000", pragma(s, "busy_timeout"));
            assertEquals("1", pragma(s, "foreign_keys"));
        }
    }

    @Test
    void createsParentDirectoriesOfTheDatabaseFile() {
        Path file = tmp.resolve("a/b/feedback.db");
        try (FeedbackStore s = JdbcFeedbackStore.open("jdbc:sqlite:" + file)) {
            assertTrue(s.datasets().isEmpty());
        }
        assertTrue(Files.isRegularFile(file));
    }

    @Test
    void twoStoresOnOneFileShareTheQueueWithoutBusyErrors() throws Exception {
        // e.g. the server and a CLI import on the same file: SQLite's own locking plus busy_timeout serialise them
        Dataset d = dataset("shared", DatasetSettings.defaults());
        store.batch(w -> {
            for (int i = 0; i < 60; i++) {
                Prompt p = w.addPrompt(d.id(), "q" + i, null, null);
                w.addTask(d.id(), NewTask.of(p.id(), JudgementKind.RATING, List.of(w.addResponse(p.id(), "r", null).id())));
            }
            return null;
        });
        List<Annotator> people = new ArrayList<>();
        for (int i = 0; i < 6; i++) people.add(store.createAnnotator("p" + i, AnnotatorKind.SIMULATED));
        // Both stores must read the same clock, as two processes on one machine do. (With the system clock here and
        // the test's 2025 clock in `store`, the second store saw every lease of the first as long expired, reclaimed
        // it and handed the task out again: late answers are kept, so 60 tasks got 63-66 judgements.)
        try (FeedbackStore second = JdbcFeedbackStore.open(StoreConfig.of(db.url()).withClock(clock))) {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<Integer>> done = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                FeedbackStore s = i % 2 == 0 ? store : second;
                Annotator who = people.get(i);
                done.add(pool.submit(() -> {
                    int n = 0;
                    for (var t = s.nextTask(who.id(), d.id()); t.isPresent(); t = s.nextTask(who.id(), d.id())) {
                        s.submit(who.id(), new Submission(t.get().assignment().id(), "c" + t.get().assignment().id(), new JudgementPayload.Rating(4), 1, null));
                        n++;
                    }
                    return n;
                }));
            }
            int total = 0;
            for (Future<Integer> f : done) total += f.get(120, TimeUnit.SECONDS);
            pool.shutdown();
            assertEquals(60, total);
        }
        assertEquals(60, store.judgements(d.id()).size());
        assertEquals(60, store.datasetSummaries().get(0).done());
    }

    @Test
    void twoProcessesOnOneFileNeverServeATaskTwice() throws Exception {
        // The bug report's case: the server and another process (a CLI import, a second server) on one file. Each
        // process has its own in-process lock; what makes "pick a task, take its slot" atomic between them is that the
        // transaction holds SQLite's write lock from BEGIN IMMEDIATE on and the slot UPDATE is guarded.
        Dataset d = dataset("two-processes", DatasetSettings.defaults());
        int tasks = 400;
        store.batch(w -> {
            for (int i = 0; i < tasks; i++) {
                Prompt p = w.addPrompt(d.id(), "q" + i, null, null);
                w.addTask(d.id(), NewTask.of(p.id(), JudgementKind.RATING, List.of(w.addResponse(p.id(), "r", null).id())));
            }
            return null;
        });
        List<Annotator> here = new ArrayList<>(), there = new ArrayList<>();
        for (int i = 0; i < 3; i++) here.add(store.createAnnotator("here" + i, AnnotatorKind.SIMULATED));
        for (int i = 0; i < 3; i++) there.add(store.createAnnotator("there" + i, AnnotatorKind.SIMULATED));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), QueueChild.class.getName(), db.url(),
                String.valueOf(d.id()), String.join(",", there.stream().map(a -> String.valueOf(a.id())).toList()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // this process labels through a store on the system clock, as the child does (leases must agree on time)
        try (FeedbackStore mine = JdbcFeedbackStore.open(db.url());
             var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()));
             var in = new java.io.PrintStream(child.getOutputStream(), true)) {
            assertEquals("READY", out.readLine());
            // The child starts first; this process joins once the child has stored 20 judgements, so both
            // certainly take tasks and work on the queue at the same time from then on.
            java.util.concurrent.CountDownLatch childWorking = new java.util.concurrent.CountDownLatch(20);
            java.util.concurrent.CompletableFuture<String> childDone = new java.util.concurrent.CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.equals("J")) childWorking.countDown();
                        else if (line.startsWith("DONE ")) childDone.complete(line);
                    }
                    childDone.complete("(no DONE line)");
                } catch (java.io.IOException e) {
                    childDone.completeExceptionally(e);
                }
            });
            reader.start();
            in.println("go");
            assertTrue(childWorking.await(60, TimeUnit.SECONDS), "the child stores judgements");
            ExecutorService pool = Executors.newFixedThreadPool(here.size());
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<Future<Integer>> done = new ArrayList<>();
            for (Annotator who : here) done.add(pool.submit(() -> QueueChild.label(mine, who.id(), d.id(), start, () -> { })));
            start.countDown();
            int ours = 0;
            for (Future<Integer> f : done) ours += f.get(120, TimeUnit.SECONDS);
            pool.shutdown();
            String last = childDone.get(60, TimeUnit.SECONDS);
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
            assertTrue(last.startsWith("DONE "), "child said " + last);
            int theirs = Integer.parseInt(last.substring(5));
            assertEquals(tasks, ours + theirs, "every task judged once: " + ours + " here + " + theirs + " in the child");
            var js = mine.judgements(d.id());
            assertEquals(tasks, js.size());
            assertEquals(tasks, js.stream().map(j -> j.taskId()).distinct().count(), "no task judged twice");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void pickingTheNextTaskReadsTheOpenTaskIndexWithoutSorting() throws Exception {
        var jdbc = (JdbcFeedbackStore) store;
        try (Connection c = jdbc.connectionForTests(); Statement s = c.createStatement()) {
            String sql = jdbc.takeOpenTaskSql("").replace("?", "1");
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = s.executeQuery("EXPLAIN QUERY PLAN " + sql)) {
                while (rs.next()) plan.append(rs.getString("detail")).append('\n');
            }
            assertTrue(plan.toString().contains("tasks_open"), plan.toString());
            assertFalse(plan.toString().contains("TEMP B-TREE"), "no sort of the open tasks:\n" + plan);
        }
    }

    @Test
    void migrationV2OpensTheQueueOfAnExistingV1Database() throws Exception {
        store.close();
        store = null;
        Path file = tmp.resolve("v1.db");
        String url = "jdbc:sqlite:" + file;
        {
            var ds = new org.sqlite.SQLiteDataSource();
            ds.setUrl(url);
            org.flywaydb.core.Flyway.configure().dataSource(ds).locations("classpath:db/migration")
                    .placeholders(Dialect.SQLITE.placeholders()).target("1").load().migrate();
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO datasets (id, name, description, overlap, gold_rate, lease_ms, rating_flags, created_at) "
                        + "VALUES (1, 'old', '', 2, 0, 60000, '[]', 0)");
                s.execute("INSERT INTO prompts (id, dataset_id, text, text_sha256, created_at) VALUES (1, 1, 'q', 'x', 0)");
                s.execute("INSERT INTO responses (id, prompt_id, text, text_sha256, model_id, model_version, generation_settings, created_at) "
                        + "VALUES (1, 1, 'r', 'y', 'm', '', '{}', 0)");
                s.execute("INSERT INTO tasks (id, dataset_id, prompt_id, kind, response_ids, priority, gold, slots_taken, judgement_count, created_at) "
                        + "VALUES (1, 1, 1, 'rating', '1', 0, 0, 0, 0, 0)");
            }
        }
        try (FeedbackStore migrated = JdbcFeedbackStore.open(StoreConfig.of(url).withClock(clock))) {
            List<Annotator> people = new ArrayList<>();
            for (int i = 0; i < 3; i++) people.add(migrated.createAnnotator("m" + i, AnnotatorKind.HUMAN));
            assertTrue(migrated.nextTask(people.get(0).id(), 1).isPresent());
            assertTrue(migrated.nextTask(people.get(1).id(), 1).isPresent(), "the V1 dataset's overlap 2 was copied to its task");
            assertTrue(migrated.nextTask(people.get(2).id(), 1).isEmpty());
        }
    }

    private static String pragma(Statement s, String name) throws Exception {
        try (ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
