package dev.tandem.loop.active;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.reward.RewardEnsemble;
import dev.tandem.reward.RewardModel;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ensemble disagreement sets the queue order, through the real (SQLite) store. */
class TaskPrioritizerTest {
    @TempDir Path tmp;

    /** Rewards looked up by response text. */
    record TableModel(Map<String, Double> rewards) implements RewardModel {
        @Override public float[] score(List<String> prompts, List<String> responses) {
            float[] out = new float[responses.size()];
            for (int i = 0; i < out.length; i++) out[i] = rewards.getOrDefault(responses.get(i), 0.0).floatValue();
            return out;
        }

        @Override public String name() { return "table"; }
    }

    /** A member under which task i's A wins with probability pA[i] (B scores 0). */
    private static TableModel member(double... pA) {
        Map<String, Double> r = new HashMap<>();
        for (int i = 0; i < pA.length; i++) r.put("t" + i + "-a", Math.log(pA[i] / (1 - pA[i])));
        return new TableModel(r);
    }

    @Test
    void theTasksTheEnsembleDisagreesOnMostAreServedFirst() {
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(tmp.resolve("f.db")))) {
            Dataset d = store.createDataset("d", "", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
            List<Task> t = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Prompt p = store.addPrompt(d.id(), "prompt " + i, null, null);
                long a = store.addResponse(p.id(), "t" + i + "-a", null).id(), b = store.addResponse(p.id(), "t" + i + "-b", null).id();
                t.add(store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(a, b))));
            }
            // t3 is done (judged by the simulated annotator, overlap 1): not re-prioritised
            Annotator sim = store.ensureAnnotator("simulated", AnnotatorKind.SIMULATED);
            store.addJudgement(t.get(3).id(), sim.id(), "s3", new JudgementPayload.Pairwise(JudgementPayload.Choice.A), Instant.now(), 0, null);
            // members' P(A): t0 all 0.9 (agree), t1 0.9/0.1/0.5 (std 0.4), t2 0.6/0.5/0.4 (std 0.1), t3 split but done
            try (RewardEnsemble e = new RewardEnsemble(List.of(member(0.9, 0.9, 0.6, 0.99), member(0.9, 0.1, 0.5, 0.01),
                    member(0.9, 0.5, 0.4, 0.5)))) {
                TaskPrioritizer.Result r = new TaskPrioritizer(store).reprioritise("d", e);
                assertEquals(3, r.openTasks());
                assertEquals(2, r.changed(), "t0's priority stays 0");
                assertEquals(0.4, r.maxDisagreement(), 1e-6);
                assertEquals(0.5 / 3, r.meanDisagreement(), 1e-6);
            }
            assertEquals(4000, store.task(t.get(1).id()).orElseThrow().priority());
            assertEquals(1000, store.task(t.get(2).id()).orElseThrow().priority());
            assertEquals(0, store.task(t.get(0).id()).orElseThrow().priority());
            assertEquals(0, store.task(t.get(3).id()).orElseThrow().priority());
            List<Long> served = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Annotator person = store.createAnnotator("person" + i, AnnotatorKind.HUMAN);
                served.add(store.nextTask(person.id(), d.id()).orElseThrow().task().id());
            }
            assertEquals(List.of(t.get(1).id(), t.get(2).id(), t.get(0).id()), served);
        }
    }

    @Test
    void aSingleRewardModelPutsItsTossUpsFirst() {
        try (FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(tmp.resolve("g.db")))) {
            Dataset d = store.createDataset("d", "", DatasetSettings.defaults().withOverlap(1).withGoldRate(0));
            List<Task> t = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Prompt p = store.addPrompt(d.id(), "prompt " + i, null, null);
                long a = store.addResponse(p.id(), "t" + i + "-a", null).id(), b = store.addResponse(p.id(), "t" + i + "-b", null).id();
                t.add(store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, List.of(a, b))));
            }
            // P(A) 0.9 → 1 − 0.8 = 0.2; 0.45 → 0.9; 0.2 → 0.4
            TaskPrioritizer.Result r = new TaskPrioritizer(store).reprioritiseByUncertainty("d", member(0.9, 0.45, 0.2));
            assertEquals(3, r.changed());
            assertEquals(0.9, r.maxDisagreement(), 1e-6);
            assertEquals(List.of(2000, 9000, 4000), t.stream().map(x -> store.task(x.id()).orElseThrow().priority()).toList());
            assertEquals(0, store.datasetSummaries().get(0).aiJudgements(), "nothing stored but priorities");
        }
    }

    @Test
    void topKPicksTheHighestScoresFirst() {
        double[] s = {0.1, 0.7, 0.3, 0.7, 0.0, 0.5};
        assertArrayEquals(new int[] {1, 3, 5}, TaskPrioritizer.topK(s, 3));
        assertArrayEquals(new int[] {1, 3, 5, 2, 0, 4}, TaskPrioritizer.topK(s, 10));
        assertEquals(4000, TaskPrioritizer.priority(0.4));
        assertEquals(0, TaskPrioritizer.priority(-0.1));
    }
}
