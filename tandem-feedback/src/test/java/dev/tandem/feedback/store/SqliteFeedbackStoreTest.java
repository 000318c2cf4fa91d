package dev.tandem.feedback.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    private static String pragma(Statement s, String name) throws Exception {
        try (ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
