package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tandem.train.RunDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sparse linear model: features, its gradient by finite differences, save/load, a real training run. */
class LinearRewardModelTest {
    @TempDir Path tmp;

    private static final List<String> PROMPTS = List.of("Is the sky blue?", "Is the sky blue?", "Name a fruit.",
            "Name a fruit.", "Name a fruit.", "Why?");
    private static final List<String> RESPONSES = List.of("Yes, the sky is blue on a clear day.", "no", "An apple!",
            "Bananas are fruits, and so are apples.", "I don't know...", "Because RAYLEIGH scattering, see http://x.y");

    @Test
    void featuresAreDeterministicAndInRange() {
        FeatureConfig c = new FeatureConfig(12, 2, 2, 4, true, true, true);
        Featurizer f = Featurizer.fit(c, PROMPTS, RESPONSES);
        Featurizer g = Featurizer.fit(c, PROMPTS, RESPONSES);
        var v = f.vector(PROMPTS.get(0), RESPONSES.get(0));
        var w = g.vector(PROMPTS.get(0), RESPONSES.get(0));
        assertArrayEquals(v.indices(), w.indices());
        assertArrayEquals(v.values(), w.values());
        for (int i = 0; i < v.size(); i++) {
            assertTrue(v.indices()[i] >= 0 && v.indices()[i] < c.dim());
            if (i > 0) assertTrue(v.indices()[i] > v.indices()[i - 1], "sorted, merged");
        }
        // the surface block sits after the hashed space; log(1 + chars) is the first surface feature
        assertEquals(Math.log1p(RESPONSES.get(1).length()), Featurizer.surfaceRaw("", RESPONSES.get(1))[0], 1e-12);
        // different texts, different vectors; the hashed blocks are unit length (before the surface features)
        assertNotEquals(java.util.Arrays.toString(v.indices()), java.util.Arrays.toString(f.vector("p", "other words").indices()));
        FeatureConfig wordsOnly = new FeatureConfig(12, 2, 0, 0, true, true, false);
        var u = Featurizer.fit(wordsOnly, PROMPTS, RESPONSES).vector("p", RESPONSES.get(3));
        double norm = 0;
        for (float x : u.values()) norm += x * (double) x;
        assertEquals(1, norm, 1e-5);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        FeatureConfig c = new FeatureConfig(10, 2, 2, 3, true, true, true);
        Featurizer f = Featurizer.fit(c, PROMPTS, RESPONSES);
        List<Comparison> batch = List.of(
                new Comparison.Preferred(PROMPTS.get(0), RESPONSES.get(0), RESPONSES.get(1), 1.0 / 3),
                new Comparison.Ranking(PROMPTS.get(2), RESPONSES.subList(2, 5), new int[] {1, 0, 2}),
                new Comparison.Tie(PROMPTS.get(5), RESPONSES.get(5), RESPONSES.get(0)));
        LossConfig cfg = LossConfig.defaults().withTies(LossConfig.TieModel.DAVIDSON, 0.5).withCenterCoefficient(0.01);
        SplittableRandom rnd = new SplittableRandom(3);
        float[] w0 = new float[c.dim()];
        for (int i = 0; i < w0.length; i++) w0[i] = (float) (rnd.nextDouble() - 0.5);
        float[] grad;
        try (TrainableLinear t = TrainableLinear.from(new LinearRewardModel(f, w0))) {
            List<String> ps = new ArrayList<>(), rs = new ArrayList<>();
            for (Comparison k : batch) for (String r : k.responses()) { ps.add(k.prompt()); rs.add(r); }
            try (NDManager m = t.manager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray rewards = t.rewards(m, ps, rs);
                // the engine's rewards equal the host model's
                float[] host = new LinearRewardModel(f, w0).score(ps, rs);
                assertArrayEquals(host, rewards.toFloatArray(), 1e-4f);
                gc.backward(TensorLosses.meanLoss(rewards, batch, cfg));
            }
            grad = t.parameters().get(0).getGradient().toFloatArray();
        }
        // central differences of the host loss (double precision features and losses) on the coordinates in use
        List<Integer> used = new ArrayList<>();
        for (Comparison k : batch) for (String r : k.responses()) for (int i : f.vector(k.prompt(), r).indices()) used.add(i);
        int checked = 0;
        for (int n = 0; n < used.size(); n += Math.max(1, used.size() / 40)) {
            int i = used.get(n);
            double h = 1e-3;
            double[] w = new double[w0.length];
            for (int j = 0; j < w.length; j++) w[j] = w0[j];
            w[i] += h;
            double up = hostLoss(f, batch, cfg, w);
            w[i] -= 2 * h;
            double down = hostLoss(f, batch, cfg, w);
            double numeric = (up - down) / (2 * h);
            assertEquals(numeric, grad[i], 2e-4 + 1e-3 * Math.abs(numeric), "∂loss/∂w[" + i + "]");
            checked++;
        }
        assertTrue(checked >= 20, "checked " + checked + " coordinates");
        // coordinates no feature touches get no gradient
        int untouched = 0;
        java.util.Set<Integer> set = new java.util.HashSet<>(used);
        for (int i = 0; i < c.dim(); i++) if (!set.contains(i)) { assertEquals(0f, grad[i]); untouched++; }
        assertTrue(untouched > 0);
    }

    private static double hostLoss(Featurizer f, List<Comparison> batch, LossConfig cfg, double[] w) {
        double total = 0;
        for (Comparison k : batch) {
            double[] r = new double[k.responses().size()];
            for (int i = 0; i < r.length; i++) {
                var v = f.vector(k.prompt(), k.responses().get(i));
                for (int j = 0; j < v.size(); j++) r[i] += w[v.indices()[j]] * (double) v.values()[j];
            }
            total += Losses.loss(k, r, cfg, null);
        }
        return total / batch.size();
    }

    @Test
    void saveAndLoadGiveTheSameScores() throws Exception {
        FeatureConfig c = new FeatureConfig(12, 2, 2, 4, true, true, true);
        Featurizer f = Featurizer.fit(c, PROMPTS, RESPONSES);
        float[] w = new float[c.dim()];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        LinearRewardModel m = new LinearRewardModel(f, w);
        m.save(tmp.resolve("rm"), Map.of("note", "test"));
        RewardModel loaded = RewardModels.load(tmp.resolve("rm"));
        assertTrue(loaded instanceof LinearRewardModel);
        assertArrayEquals(m.score(PROMPTS, RESPONSES), loaded.score(PROMPTS, RESPONSES));
    }

    @Test
    void shortTrainingOnRealUkpBeatsChanceOnUnseenDebates() throws Exception {
        PreferenceData all = PreferenceData.load(List.of("ukpconvarg:" + TestData.ukp()));
        Splits.Split s = Splits.byGroup(all, 0.2, 1);
        List<String> ps = new ArrayList<>(), rs = new ArrayList<>();
        for (var r : s.train().records()) {
            var p = (dev.tandem.feedback.io.PreferenceRecord.Pair) r;
            ps.add(p.prompt()); rs.add(p.chosen()); ps.add(p.prompt()); rs.add(p.rejected());
        }
        Featurizer f = Featurizer.fit(new FeatureConfig(16, 1, 3, 4, true, true, true), ps, rs);
        TrainConfig cfg = TrainConfig.linearDefaults().withEpochs(2).withBatch(128, 1);
        try (TrainableLinear t = new TrainableLinear(f)) {
            var result = RewardTrainer.train(t, s.train(), null, cfg, RunDirectory.create(tmp.resolve("run")),
                    Map.of("test", "ukp"), false, null);
            assertTrue(result.steps() > 0);
            RewardModel trained = RewardModels.load(tmp.resolve("run"));
            Evaluation.Report r = Evaluation.evaluate(trained, s.eval(), 256);
            assertTrue(r.accuracy() > 0.7, "cross-debate accuracy " + r.accuracy());
            assertTrue(r.pairs() > 500, "pairs " + r.pairs());
        }
    }
}
