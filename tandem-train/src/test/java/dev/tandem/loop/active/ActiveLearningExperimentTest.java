package dev.tandem.loop.active;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.sim.GoldPreference;
import dev.tandem.feedback.sim.Lexicon;
import dev.tandem.loop.PairGenerator.Candidate;
import dev.tandem.reward.FeatureConfig;
import dev.tandem.reward.Featurizer;
import dev.tandem.reward.RewardEnsemble;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The active-learning experiment on a small synthetic pool (no model, no data files). */
class ActiveLearningExperimentTest {
    private static final List<String> WORDS = List.of("happy", "sad", "good", "bad", "love", "hate", "the", "dog", "cat", "ran",
            "home", "park", "ball", "tree", "sun", "rain");
    private static final GoldPreference GOLD = new GoldPreference(Lexicon.of("test", Map.of("happy", 3f, "sad", -3f, "good", 2f,
            "bad", -2f, "love", 3f, "hate", -3f)), 1f, 4f);

    private static List<Candidate> pairs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Candidate("once", sentence(r), sentence(r)));
        return out;
    }

    private static String sentence(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0, n = 4 + r.nextInt(5); k < n; k++) sb.append(WORDS.get(r.nextInt(WORDS.size()))).append(' ');
        return sb.toString().strip();
    }

    private static Featurizer features(List<Candidate> all) {
        List<String> p = new ArrayList<>(), t = new ArrayList<>();
        for (Candidate c : all) { p.add(c.prompt()); t.add(c.first()); p.add(c.prompt()); t.add(c.second()); }
        return Featurizer.fit(new FeatureConfig(12, 1, 0, 0, true, false, false), p, t);
    }

    @Test
    void bothStrategiesLearnAndProduceOnePointPerBatch() {
        List<Candidate> pool = pairs(300, 1), held = pairs(200, 2);
        List<Candidate> all = new ArrayList<>(pool);
        all.addAll(held);
        var cfg = new ActiveLearningExperiment.Config(20, 20, 100, 3, List.of(1L, 2L), 0.25, 0.0, 10, 0.5, 0.0);
        List<ActiveLearningExperiment.Point> pts = new ActiveLearningExperiment(cfg, features(all), GOLD).run(pool, held, m -> { });
        assertEquals(2 * 2 * 5, pts.size(), "2 seeds × 2 strategies × labels 20, 40, …, 100");
        for (ActiveLearningExperiment.Strategy s : ActiveLearningExperiment.Strategy.values()) {
            double[][] c = ActiveLearningExperiment.meanCurve(pts, s, true);
            assertEquals(List.of(20.0, 40.0, 60.0, 80.0, 100.0), java.util.Arrays.stream(c[0]).boxed().toList());
            assertTrue(c[1][4] > 0.75, s + " learns the sentiment words: " + c[1][4]);
        }
        // both strategies start from the same random labels, so their first points are equal
        assertEquals(pts.get(0).goldAccuracy(), pts.get(5).goldAccuracy());
    }

    @Test
    void disagreementIsTheEnsemblesOnLinearMembers() {
        List<Candidate> pool = pairs(40, 3);
        Featurizer f = features(pool);
        var cfg = new ActiveLearningExperiment.Config(5, 5, 20, 4, List.of(1L), 0.25, 0.1, 5, 0.5, 0.0);
        var x = new ActiveLearningExperiment(cfg, f, GOLD);
        ActiveLearningExperiment.Diff[] d = pool.stream().map(x::diff).toArray(ActiveLearningExperiment.Diff[]::new);
        boolean[] label = new boolean[pool.size()];
        for (int i = 0; i < label.length; i++) label[i] = GOLD.score(pool.get(i).first()) > GOLD.score(pool.get(i).second());
        float[][] w = x.fitEnsemble(d, label, List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 7);
        try (RewardEnsemble e = x.ensemble(w)) {
            float[] expected = e.disagreement(pool.stream().map(Candidate::prompt).toList(), pool.stream().map(Candidate::first).toList(),
                    pool.stream().map(Candidate::second).toList());
            double[] mine = new double[pool.size()];
            for (int i = 0; i < mine.length; i++) {
                mine[i] = ActiveLearningExperiment.disagreement(w, d[i]);
                assertEquals(expected[i], mine[i], 1e-4, "pair " + i);
            }
            // active selection takes the pairs the members disagree on most
            int[] top = TaskPrioritizer.topK(mine, 5);
            double fifth = mine[top[4]];
            for (int i = 0; i < mine.length; i++) {
                final int row = i;
                if (java.util.Arrays.stream(top).noneMatch(k -> k == row)) assertTrue(mine[i] <= fifth);
            }
        }
    }

    @Test
    void labelsToReachInterpolatesBetweenPoints() {
        double[][] curve = {{25, 50, 75}, {0.5, 0.6, 0.7}};
        assertEquals(62.5, ActiveLearningExperiment.labelsToReach(curve, 0.65).orElseThrow(), 1e-9);
        assertEquals(25, ActiveLearningExperiment.labelsToReach(curve, 0.4).orElseThrow(), 1e-9);
        assertTrue(ActiveLearningExperiment.labelsToReach(curve, 0.71).isEmpty());
    }
}
