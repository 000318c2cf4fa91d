package dev.tandem.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Submission;
import dev.tandem.feedback.sim.SimulatedAnnotator;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.model.Checkpoint;
import dev.tandem.model.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live loop on the real model, with a simulated annotator labelling through the ordinary queue. */
class LiveLoopTest {

    /** Labels up to {@code n} tasks the way the web UI does: nextTask, then submit in shown order. */
    static int label(FeedbackStore store, Annotator who, long datasetId, SimulatedAnnotator sim, int n) {
        int done = 0;
        while (done < n) {
            Optional<AssignedTask> t = store.nextTask(who.id(), datasetId);
            if (t.isEmpty()) break;
            AssignedTask a = t.get();
            boolean firstWins = sim.compare(a.shownResponses().get(0).text(), a.shownResponses().get(1).text()).firstWins();
            store.submit(who.id(), new Submission(a.assignment().id(), "sim-" + a.assignment().id(),
                    new JudgementPayload.Pairwise(firstWins ? JudgementPayload.Choice.A : JudgementPayload.Choice.B,
                            null, null), 1000, null));
            done++;
        }
        return done;
    }

    @Test
    void queueRetrainSwapAndResume(@TempDir Path tmp) throws Exception {
        LoopTestData.demoData();
        GoldJudge gold = GoldJudge.load(Models.dataDir(), "vader");
        SimulatedAnnotator sim = new SimulatedAnnotator(gold.preference(), 0.25, 0.1, 5);
        DemoConfig training = DemoConfig.builder(tmp.resolve("unused")).steps(2).batchSize(16).maxNewTokens(24)
                .seed(4).build();
        LiveLoop.Config cfg = new LiveLoop.Config(tmp.resolve("loop"), "live", DemoPrompts.standard().train(), 16, 24,
                20, 1, training);
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(tmp.resolve("feedback.db")))) {
            Annotator person = store.ensureAnnotator("simulated-person", AnnotatorKind.SIMULATED);
            long datasetId;
            LiveLoop.History before;
            try (LiveLoop loop = LiveLoop.open(store, cfg)) {
                datasetId = loop.dataset().id();
                assertEquals("v0", loop.policyVersion());
                loop.tick();                                   // fills the queue from v0; nothing to train yet
                assertEquals(24, loop.status().openTasks());
                assertFalse(loop.retrainDue());
                assertEquals(0, loop.refill(), "enough open tasks: no refill");

                assertEquals(20, label(store, person, datasetId, sim, 20));
                assertTrue(loop.retrainDue());
                loop.tick();                                   // refill from v0, reward model v1, policy v1
                assertEquals(1, loop.rewardModelVersion());
                assertEquals("v1", loop.policyVersion());
                // active learning: the open tasks were re-prioritised by the new reward model's uncertainty
                java.util.List<dev.tandem.feedback.Task> open = store.tasks(datasetId).stream()
                        .filter(t -> t.judgementCount() == 0).toList();
                assertTrue(open.size() > 1 && open.stream().mapToInt(dev.tandem.feedback.Task::priority).distinct().count() > 1,
                        "open tasks carry uncertainty priorities: " + open.stream().map(dev.tandem.feedback.Task::priority).toList());
                assertFalse(loop.retrainDue());
                assertFalse(loop.policyRoundDue());
                assertTrue(Files.isRegularFile(cfg.dir().resolve("state.json")));
                assertTrue(Files.isDirectory(cfg.dir().resolve("policy/v1/final")));
                assertEquals("ppo", Checkpoint.info(cfg.dir().resolve("policy/v1/final")).metadata().get("algorithm"));

                // the dashboard's history: judgements, the reward model's held-out accuracy, the round, samples
                LiveLoop.History h = loop.history();
                assertEquals(20, h.judgements().get(h.judgements().size() - 1).judgements());
                assertEquals(1, h.rewardModels().size());
                LiveLoop.RewardModelVersion rm = h.rewardModels().get(0);
                assertTrue(rm.heldOutPairs() >= 1 && rm.trainPairs() + rm.heldOutPairs() <= 20, rm.toString());
                assertTrue(rm.heldOutAccuracy() >= 0 && rm.heldOutAccuracy() <= 1, rm.toString());
                assertFalse(rm.warmStart());
                LiveLoop.PolicyRound round = h.policyRounds().get(0);
                assertEquals(1, h.policyRounds().size());
                assertEquals(2, round.curve().size(), "one point per PPO step");
                assertEquals(1, round.rewardModelVersion());
                assertTrue(round.kl() != null && round.reward() != null, round.toString());
                assertEquals(List.of("policy v0", "reward-model v1", "policy v1"),
                        h.versions().stream().map(x -> x.model() + " " + x.version()).toList());
                LiveLoop.SampleSet samples = h.samples().get(0);
                assertEquals(1, samples.version());
                assertEquals(LiveLoop.SAMPLE_PROMPTS, samples.pairs().size());
                for (LiveLoop.SidePair p : samples.pairs()) assertFalse(p.original().isBlank() || p.tuned().isBlank(), p.toString());
                assertTrue(Files.isRegularFile(cfg.dir().resolve("history.json")));

                assertEquals(20, label(store, person, datasetId, sim, 20));
                assertEquals(24, loop.refill(), "8 open: refill from the new policy");
                before = loop.history();
            }
            Map<String, Long> byVersion = store.responsesInDataset(datasetId).stream()
                    .collect(Collectors.groupingBy(r -> r.model().modelVersion(), Collectors.counting()));
            assertEquals(Map.of("v0", 96L, "v1", 48L), byVersion, "every response records the policy that wrote it");
            for (Response r : store.responsesInDataset(datasetId)) assertEquals("stories260K", r.model().modelId());

            // restart: versions and counters come back from state.json and the store, the history from history.json
            try (LiveLoop again = LiveLoop.open(store, cfg)) {
                assertEquals("v1", again.policyVersion());
                assertEquals(before, again.history());
                assertEquals(1, again.history().policyRounds().size());
                assertEquals(1, again.rewardModelVersion());
                LiveLoop.Status s = again.status();
                assertEquals(40, s.judgements());
                assertEquals(20, s.judgementsAtLastRetrain());
                assertTrue(again.retrainDue());
                again.retrainRewardModel();                    // warm start from v1
                assertEquals(2, again.rewardModelVersion());
                assertTrue(again.policyRoundDue());
                String rmConfig = Files.readString(cfg.dir().resolve("rm/v2/config.json"));
                assertTrue(rmConfig.contains("warm_start") && rmConfig.contains("v1"), rmConfig);
                List<LiveLoop.RewardModelVersion> rms = again.history().rewardModels();
                assertEquals(List.of(1, 2), rms.stream().map(LiveLoop.RewardModelVersion::version).toList());
                assertTrue(rms.get(1).warmStart());
                assertTrue(rms.get(1).heldOutPairs() >= rms.get(0).heldOutPairs(), "the held-out slice only grows");
            }
            try (LiveLoop third = LiveLoop.open(store, cfg)) {
                assertEquals(2, third.history().rewardModels().size(), "history.json kept reward model v2");
            }
        }
    }
}
