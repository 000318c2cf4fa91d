package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short run of the load benchmark: it measures something and its store check holds (not a timing test). */
class ServeBenchmarkTest {
    @TempDir Path dir;

    @Test
    void shortRunStoresExactlyTheAcknowledgedJudgements() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(dir.resolve("bench.db")))) {
            ServeBenchmark.Result r = new ServeBenchmark(store, new ServeBenchmark.Options(6, 0.3, 1.0, 20_000),
                    new PrintStream(log, true, StandardCharsets.UTF_8)).run();
            assertTrue(r.consistent(), log.toString(StandardCharsets.UTF_8));
            assertTrue(r.measuredJudgements() > 0 && r.judgementsPerSecond() > 0, log.toString(StandardCharsets.UTF_8));
            assertEquals(r.acknowledged(), r.stored());
            assertTrue(r.requestP99Millis() >= r.requestP50Millis());
            assertFalse(r.ranOut(), "the seeded tasks ran out: a fast machine labels thousands in 1.3 s, seed more"); // not a speed check
        }
    }

    @Test
    void runningOutOfTasksIsReportedAndStillConsistent() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(dir.resolve("small.db")))) {
            ServeBenchmark.Result r = new ServeBenchmark(store, new ServeBenchmark.Options(4, 0, 2.0, 30),
                    new PrintStream(log, true, StandardCharsets.UTF_8)).run();
            assertTrue(r.ranOut(), log.toString(StandardCharsets.UTF_8));
            assertEquals(30, r.acknowledged());
            assertEquals(30, r.stored());
        }
    }
}
