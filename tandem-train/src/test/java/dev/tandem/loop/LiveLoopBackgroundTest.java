package dev.tandem.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.sim.SimulatedAnnotator;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.model.Models;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop as {@code tandem serve} runs it: {@link LiveLoop#start} trains on background threads (where libtorch's
 * per-thread grad mode starts ON, unlike on the thread that loaded the engine) while people go on labelling.
 */
class LiveLoopBackgroundTest {

    @Test
    void backgroundTrainingReachesPolicyV1WhileLabellingGoesOn(@TempDir Path tmp) throws Exception {
        LoopTestData.demoData();
        SimulatedAnnotator sim = new SimulatedAnnotator(GoldJudge.load(Models.dataDir(), "vader").preference(), 0.25, 0.1, 5);
        DemoConfig training = DemoConfig.builder(tmp.resolve("unused")).steps(2).batchSize(8).maxNewTokens(16)
                .ppoEpochs(1).seed(6).build();
        LiveLoop.Config cfg = new LiveLoop.Config(tmp.resolve("loop"), "live", DemoPrompts.standard().train(), 8, 8,
                6, 1, training);
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(tmp.resolve("feedback.db")));
                LiveLoop loop = LiveLoop.open(store, cfg)) {
            Annotator person = store.ensureAnnotator("simulated-person", AnnotatorKind.SIMULATED);
            long ds = loop.dataset().id();
            loop.start(Duration.ofMillis(50));
            int labelled = 0, duringTraining = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (!loop.policyVersion().equals("v1")) {
                if (System.nanoTime() > deadline) fail("no policy v1 within 3 minutes: " + loop.status());
                if (loop.status().lastError() != null) fail("background training failed: " + loop.status().lastError());
                // Label until a few judgements went in while the loop trained, then stop (fewer than 2K in all, so
                // that no second round starts and close() has nothing to wait for).
                int n = 0;
                if (duringTraining < 3) {
                    boolean before = loop.status().training();
                    n = LiveLoopTest.label(store, person, ds, sim, 1);
                    labelled += n;
                    if (n == 1 && before && loop.status().training()) duringTraining++;
                }
                if (n == 0) Thread.sleep(20); // the queue refills on the loop's timer; training runs on
            }
            assertNull(loop.status().lastError());
            assertTrue(loop.rewardModelVersion() >= 1);
            assertTrue(labelled >= 6, "labelled " + labelled);
            assertTrue(duringTraining >= 1, "no judgement was taken while the loop trained (" + labelled + " in all)");
            LiveLoop.History h = loop.history();
            assertTrue(h.rewardModels().size() >= 1 && h.policyRounds().size() >= 1, h.toString());
            assertEquals(2, h.policyRounds().get(0).curve().size());
        }
    }
}
