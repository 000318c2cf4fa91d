package dev.tandem.feedback.store;

import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.testing.MutableClock;
import dev.tandem.feedback.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The set-up the store contracts share: a fresh database per test (SQLite or PostgreSQL, by the subclass), a store on
 * it with a mutable clock at 2025-03-01T10:00:00Z and a seeded random source.
 */
abstract class StoreContractBase {
    @TempDir Path tmp;
    TestDatabase db;
    MutableClock clock;
    FeedbackStore store;
    private final long seed;

    StoreContractBase(long seed) {
        this.seed = seed;
    }

    abstract TestDatabase newDatabase(Path dir);

    @BeforeEach
    void open() {
        db = newDatabase(tmp);
        clock = new MutableClock(Instant.parse("2025-03-01T10:00:00Z"));
        store = JdbcFeedbackStore.open(StoreConfig.of(db.url()).withClock(clock).withRandom(new SplittableRandom(seed)));
    }

    @AfterEach
    void close() throws Exception {
        if (store != null) store.close();
        if (db != null) db.close();
    }

    /** A pairwise task in a fresh prompt with two responses. */
    Task pairTask(Dataset d, String prompt) {
        Prompt p = store.addPrompt(d.id(), prompt, null, null);
        Response r1 = store.addResponse(p.id(), prompt + " / first", Response.ModelInfo.unknown());
        Response r2 = store.addResponse(p.id(), prompt + " / second", Response.ModelInfo.unknown());
        return store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(r1.id(), r2.id())));
    }
}
