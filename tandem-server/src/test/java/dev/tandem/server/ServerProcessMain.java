package dev.tandem.server;

import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * A server in its own process for the kill -9 test: opens (or reopens) a SQLite store, seeds a dataset on first use,
 * starts {@link TandemServer} on an ephemeral port and prints, one per line: {@code dataset: ID},
 * {@code admin: TOKEN}, {@code worker: NAME TOKEN} (fresh tokens at every start), {@code port: N}, then {@code ready}.
 */
public final class ServerProcessMain {
    static final int WORKERS = 4;
    static final int TASKS = 3000;

    public static void main(String[] args) throws Exception {
        FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(Path.of(args[0])));
        TandemServer server = TandemServer.start(store, ServerConfig.ephemeral().withRateLimit(RateLimit.unlimited()));
        long dataset = store.datasetByName("durable").map(d -> d.id()).orElseGet(() -> seed(store));
        System.out.println("dataset: " + dataset);
        long admin = store.annotatorByName("admin").orElseThrow().id();
        System.out.println("admin: " + store.issueToken(admin, "durability test"));
        for (int i = 0; i < WORKERS; i++) {
            long w = store.ensureAnnotator("worker-" + i, AnnotatorKind.SIMULATED).id();
            System.out.println("worker: worker-" + i + " " + store.issueToken(w, "durability test"));
        }
        System.out.println("port: " + server.port());
        System.out.println("ready");
        System.out.flush();
        Thread.currentThread().join(); // until killed
    }

    private static long seed(FeedbackStore store) {
        return store.batch(w -> {
            long ds = w.ensureDataset("durable", "kill -9 test", DatasetSettings.defaults()).id();
            for (int i = 0; i < TASKS; i++) {
                Prompt p = w.addPrompt(ds, "Durable story #" + i, null, null);
                Response a = w.addResponse(p.id(), "A fox found a ball. " + i, Response.ModelInfo.unknown());
                Response b = w.addResponse(p.id(), "A bird sang a song. " + i, Response.ModelInfo.unknown());
                w.addTask(ds, NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(a.id(), b.id())));
            }
            return ds;
        });
    }

    private ServerProcessMain() {}
}
