package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.train.MetricsLog;
import dev.tandem.train.RunDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resume after an interruption, divergence, metrics names, early stopping, ensembles. */
class RewardTrainerTest {
    @TempDir Path tmp;

    static PreferenceData ukpSubset(int n) {
        PreferenceData all = PreferenceData.load(List.of("ukpconvarg:" + TestData.ukp()));
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < all.size() && idx.size() < n; i += all.size() / n) idx.add(i);
        return all.subset(idx);
    }

    static Featurizer features(PreferenceData d, int bits) {
        List<String> ps = new ArrayList<>(), rs = new ArrayList<>();
        for (PreferenceRecord r : d.records()) {
            var p = (PreferenceRecord.Pair) r;
            ps.add(p.prompt()); rs.add(p.chosen()); ps.add(p.prompt()); rs.add(p.rejected());
        }
        return Featurizer.fit(new FeatureConfig(bits, 1, 3, 3, true, true, true), ps, rs);
    }

    private static final class Crash extends RuntimeException {}

    @Test
    void resumeAfterAnInterruptionMatchesAnUninterruptedRun() throws Exception {
        PreferenceData data = ukpSubset(300);
        Featurizer f = features(data, 14);
        TrainConfig cfg = TrainConfig.linearDefaults().withEpochs(2).withBatch(16, 2).withSchedule(0, 0, 3)
                .withRegularisation(0.01f, 1.0f);
        Map<String, Object> settings = Map.of("data", "ukp subset", "seed", 1);
        float[] straight;
        try (TrainableLinear t = new TrainableLinear(f)) {
            RewardTrainer.train(t, data, null, cfg, RunDirectory.create(tmp.resolve("a")), settings, false, null);
            straight = t.current().weights();
        }
        RunDirectory b = RunDirectory.create(tmp.resolve("b"));
        try (TrainableLinear t = new TrainableLinear(f)) {
            assertThrows(Crash.class, () -> RewardTrainer.train(t, data, null, cfg, b, settings, false, s -> {
                if (s == 8) throw new Crash(); // killed after step 8; the last checkpoint is step 6
            }));
        }
        assertEquals(6, RunDirectory.stepOf(b.latestCheckpoint().orElseThrow()));
        // a fresh start into a directory holding a run is refused; different settings are refused
        try (TrainableLinear t = new TrainableLinear(f)) {
            assertThrows(IllegalArgumentException.class, () -> RewardTrainer.train(t, data, null, cfg, b, settings, false, null));
            var e = assertThrows(IllegalArgumentException.class,
                    () -> RewardTrainer.train(t, data, null, cfg, b, Map.of("data", "other", "seed", 1), true, null));
            assertTrue(e.getMessage().contains("data"), e.getMessage());
        }
        RewardTrainer.Result resumed;
        try (TrainableLinear t = new TrainableLinear(f)) {
            resumed = RewardTrainer.train(t, data, null, cfg, b, settings, true, null);
            assertArrayEquals(straight, t.current().weights(), 1e-6f);
        }
        long stepsPerEpoch = (300 + 31) / 32;
        assertEquals(2 * stepsPerEpoch, resumed.steps());
        // the metrics log has every step once, with TRL's names
        List<Map<String, Object>> rows = MetricsLog.read(b.metrics());
        assertEquals(resumed.steps(), rows.size());
        for (int i = 0; i < rows.size(); i++) assertEquals(i + 1, ((Number) rows.get(i).get("step")).intValue());
        for (String k : List.of("loss", "accuracy", "min_reward", "mean_reward", "max_reward", "margin", "grad_norm")) {
            assertTrue(rows.get(0).containsKey(k), k);
        }
        assertTrue(Files.isRegularFile(b.dir().resolve("model").resolve("config.json")));
    }

    @Test
    void nonFiniteLossStopsWithAClearMessage() throws Exception {
        PreferenceData data = ukpSubset(200);
        Featurizer f = features(data, 12);
        TrainConfig cfg = TrainConfig.linearDefaults().withEpochs(3).withBatch(20, 1).withLearningRate(1e38f)
                .withSchedule(0, 0, 2);
        RunDirectory run = RunDirectory.create(tmp.resolve("nan"));
        long divergedAt;
        try (TrainableLinear t = new TrainableLinear(f)) {
            var e = assertThrows(RewardTrainer.DivergedException.class,
                    () -> RewardTrainer.train(t, data, null, cfg, run, Map.of(), false, null));
            assertTrue(e.getMessage().contains("training stopped at step") && e.getMessage().contains("lower --lr"), e.getMessage());
            assertTrue(e.getMessage().matches("(?s).*(loss is (NaN|Infinity)|gradient norm is (NaN|Infinity)).*"), e.getMessage());
            var m = java.util.regex.Pattern.compile("at step (\\d+)").matcher(e.getMessage());
            assertTrue(m.find());
            divergedAt = Long.parseLong(m.group(1));
        }
        // checkpoints are all from before the divergence and load; the metrics log stops before it too
        for (Path c : Files.list(run.checkpoints()).filter(p -> p.getFileName().toString().startsWith("step-")).toList()) {
            assertTrue(RunDirectory.stepOf(c) < divergedAt, c.toString());
            RewardModels.load(c.resolve("model")).close();
        }
        assertEquals(divergedAt - 1, MetricsLog.read(run.metrics()).size());
        assertFalse(Files.exists(run.dir().resolve("model")), "no final model from a diverged run");
    }

    @Test
    void earlyStoppingKeepsTheBestValidationModel() throws Exception {
        PreferenceData all = ukpSubset(400);
        Splits.Split s = Splits.byGroup(all, 0.25, 2);
        Featurizer f = features(s.train(), 14);
        TrainConfig cfg = TrainConfig.linearDefaults().withEpochs(30).withBatch(32, 1).withLearningRate(0.05f)
                .withSchedule(5, 2, 0);
        RunDirectory run = RunDirectory.create(tmp.resolve("es"));
        try (TrainableLinear t = new TrainableLinear(f)) {
            var r = RewardTrainer.train(t, s.train(), s.eval(), cfg, run, Map.of(), false, null);
            assertTrue(r.stoppedEarly(), "30 epochs of a tiny set should stop early");
            long total = 30L * ((s.train().size() + 31) / 32);
            assertTrue(r.steps() < total);
            RewardModel best = RewardModels.load(run.dir());
            assertEquals(r.bestValidation().accuracy(), Evaluation.evaluate(best, s.eval(), 64).accuracy(), 1e-9);
        }
        List<Map<String, Object>> rows = MetricsLog.read(run.metrics());
        assertTrue(rows.stream().anyMatch(m -> m.containsKey("eval_accuracy")));
    }

    @Test
    void ensembleMembersDisagreeWhereDataIsThin() throws Exception {
        PreferenceData data = ukpSubset(200);
        List<RewardModel> members = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            PreferenceData boot = Splits.bootstrap(data, 100 + k);
            try (TrainableLinear t = new TrainableLinear(features(boot, 12))) {
                RewardTrainer.train(t, boot, null, TrainConfig.linearDefaults().withEpochs(2).withSeed(k), RunDirectory.create(tmp.resolve("m" + k)), Map.of(), false, null);
                members.add(t.current());
            }
        }
        try (RewardEnsemble e = new RewardEnsemble(members)) {
            List<String> ps = List.of("Debate: x\nStance: y", "Debate: x\nStance: y");
            List<String> rs = List.of("A long, careful argument with evidence and reasons, because it matters.", "no");
            float[] u = e.uncertainty(ps, rs);
            assertTrue(u[0] > 0 && u[1] > 0);
            float[] d = e.disagreement(ps.subList(0, 1), rs.subList(0, 1), rs.subList(1, 2));
            assertTrue(d[0] >= 0 && d[0] < 0.5);
            float[] mean = e.score(ps, rs);
            float[][] each = e.memberScores(ps, rs);
            assertEquals((each[0][0] + each[1][0] + each[2][0]) / 3, mean[0], 1e-5);
            e.save(tmp.resolve("ens"), Map.of());
            try (RewardModel loaded = RewardModels.load(tmp.resolve("ens"))) {
                assertArrayEquals(mean, loaded.score(ps, rs), 1e-6f);
            }
        }
    }
}
