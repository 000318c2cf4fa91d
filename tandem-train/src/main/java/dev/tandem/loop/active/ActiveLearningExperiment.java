package dev.tandem.loop.active;

import dev.tandem.feedback.sim.GoldPreference;
import dev.tandem.feedback.sim.SimulatedAnnotator;
import dev.tandem.loop.PairGenerator.Candidate;
import dev.tandem.reward.Featurizer;
import dev.tandem.reward.LinearRewardModel;
import dev.tandem.reward.Losses;
import dev.tandem.reward.RewardEnsemble;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The simulated active-learning experiment: how many judgements a reward model needs to reach a given held-out
 * accuracy when the pairs to label are picked by ensemble disagreement (active) versus at random.
 *
 * <p>Setting: a pool of unlabelled pairs and a held-out set; the simulated annotator ({@link SimulatedAnnotator},
 * Bradley-Terry over the hidden gold preference, with an error rate) labels a pair when it is picked, with the
 * same label for both strategies within a seed. Both strategies start from the same random {@code initial} labels.
 * Each round trains an ensemble of {@code members} sparse linear reward models ({@link LinearRewardModel}: the
 * same features; Bradley-Terry logistic loss, plain-Java SGD on bootstrap resamples of the labels), measures the
 * ensemble's held-out accuracy, and labels {@code batch} more pairs: the ones whose members disagree most about
 * σ(r_A − r_B) (sample standard deviation, as {@link RewardEnsemble#disagreement}), or random ones.
 *
 * <p>Held-out accuracy is reported two ways: against the GOLD preference (which side has the higher gold score;
 * never shown to the model) and against simulated annotator labels of the held-out pairs (noisy, as the demo's).
 */
public final class ActiveLearningExperiment {

    /**
     * @param batch               pairs labelled per round
     * @param initial             random labels before the first round
     * @param budget              stop when this many pairs are labelled
     * @param members             ensemble size (>= 2)
     * @param seeds               one run per seed and strategy
     * @param annotatorTemperature simulated annotator's Bradley-Terry temperature (gold-score scale)
     * @param annotatorError      simulated annotator's error rate
     * @param epochs              SGD passes per fit
     * @param learningRate        SGD step
     * @param l2                  L2 penalty per epoch (weights shrink by {@code 1 − lr·l2})
     */
    public record Config(int batch, int initial, int budget, int members, List<Long> seeds, double annotatorTemperature,
                         double annotatorError, int epochs, double learningRate, double l2) {
        public Config {
            seeds = List.copyOf(seeds);
            if (batch < 1 || initial < 1 || budget < initial) throw new IllegalArgumentException("need batch >= 1, 1 <= initial <= budget");
            if (members < 2) throw new IllegalArgumentException("an ensemble needs >= 2 members");
            if (seeds.isEmpty()) throw new IllegalArgumentException("need at least one seed");
            if (epochs < 1 || !(learningRate > 0) || !(l2 >= 0)) throw new IllegalArgumentException("bad SGD settings");
        }

        public static Config defaults() {
            return new Config(25, 25, 800, 5, List.of(1L, 2L, 3L, 4L, 5L), 0.25, 0.1, 10, 0.5, 0.0);
        }
    }

    /** How the next batch is picked. */
    public enum Strategy {
        ACTIVE("active"), RANDOM("random");

        private final String id;

        Strategy(String id) { this.id = id; }

        public String id() { return id; }
    }

    /**
     * One point of a learning curve.
     *
     * @param strategy      how pairs were picked
     * @param seed          run seed
     * @param labels        judgements used for training
     * @param goldAccuracy  held-out agreement with the gold preference
     * @param labelAccuracy held-out agreement with simulated annotator labels
     * @param trainLabelGoldAgreement share of the labels trained on that agree with the gold preference (pairs with
     *     equal gold scores left out): how informative the picked pairs' labels are
     */
    public record Point(Strategy strategy, long seed, int labels, double goldAccuracy, double labelAccuracy,
                        double trainLabelGoldAgreement) {}

    private final Config cfg;
    private final Featurizer featurizer;
    private final GoldPreference gold;

    public ActiveLearningExperiment(Config cfg, Featurizer featurizer, GoldPreference gold) {
        this.cfg = Objects.requireNonNull(cfg, "cfg");
        this.featurizer = Objects.requireNonNull(featurizer, "featurizer");
        this.gold = Objects.requireNonNull(gold, "gold");
    }

    /** A pair as the difference of its two feature vectors, φ(first) − φ(second). */
    record Diff(int[] idx, float[] val) {
        double dot(float[] w) {
            double s = 0;
            for (int i = 0; i < idx.length; i++) s += w[idx[i]] * val[i];
            return s;
        }
    }

    Diff diff(Candidate c) {
        Featurizer.SparseVector a = featurizer.vector(c.prompt(), c.first()), b = featurizer.vector(c.prompt(), c.second());
        Map<Integer, Float> m = new HashMap<>();
        for (int i = 0; i < a.indices().length; i++) m.merge(a.indices()[i], a.values()[i], Float::sum);
        for (int i = 0; i < b.indices().length; i++) m.merge(b.indices()[i], -b.values()[i], Float::sum);
        int[] idx = m.entrySet().stream().filter(e -> e.getValue() != 0).mapToInt(Map.Entry::getKey).sorted().toArray();
        float[] val = new float[idx.length];
        for (int i = 0; i < idx.length; i++) val[i] = m.get(idx[i]);
        return new Diff(idx, val);
    }

    /** Runs both strategies for every seed; the points of all curves, in run order. */
    public List<Point> run(List<Candidate> pool, List<Candidate> heldOut, Consumer<String> progress) {
        if (pool.size() < cfg.budget()) throw new IllegalArgumentException("the pool (" + pool.size() + ") is smaller than the budget (" + cfg.budget() + ")");
        Diff[] poolDiffs = pool.stream().map(this::diff).toArray(Diff[]::new);
        Diff[] heldDiffs = heldOut.stream().map(this::diff).toArray(Diff[]::new);
        // held-out truth: the gold direction (pairs with equal gold scores are left out) and one noisy label each
        List<Integer> goldRows = new ArrayList<>();
        boolean[] goldFirst = new boolean[heldOut.size()], labelFirst = new boolean[heldOut.size()];
        SimulatedAnnotator heldAnnotator = new SimulatedAnnotator(gold, cfg.annotatorTemperature(), cfg.annotatorError(), 0x4E1DL);
        for (int i = 0; i < heldOut.size(); i++) {
            Candidate c = heldOut.get(i);
            SimulatedAnnotator.Verdict v = heldAnnotator.compare(c.first(), c.second());
            labelFirst[i] = v.firstWins();
            if (v.goldFirst() != v.goldSecond()) {
                goldRows.add(i);
                goldFirst[i] = v.goldFirst() > v.goldSecond();
            }
        }
        // the gold direction of every pool pair, for the diagnostic only (never used for selection or training)
        int[] poolGold = new int[pool.size()];
        for (int i = 0; i < pool.size(); i++) poolGold[i] = Double.compare(gold.score(pool.get(i).first()), gold.score(pool.get(i).second()));
        List<Integer> labelRows = allRows(heldOut.size());
        List<Point> out = new ArrayList<>();
        for (long seed : cfg.seeds()) {
            // the annotator's label of every pool pair for this seed: both strategies get the same answer for a pair
            SimulatedAnnotator annotator = new SimulatedAnnotator(gold, cfg.annotatorTemperature(), cfg.annotatorError(), seed);
            boolean[] poolLabel = new boolean[pool.size()];
            for (int i = 0; i < pool.size(); i++) poolLabel[i] = annotator.compare(pool.get(i).first(), pool.get(i).second()).firstWins();
            int[] order = permutation(pool.size(), new SplittableRandom(seed * 1_000_003L + 17));
            for (Strategy s : Strategy.values()) {
                boolean[] labelled = new boolean[pool.size()];
                List<Integer> chosen = new ArrayList<>();
                for (int i = 0; i < cfg.initial(); i++) { chosen.add(order[i]); labelled[order[i]] = true; }
                int randomNext = cfg.initial();
                for (int round = 0; ; round++) {
                    float[][] w = fitEnsemble(poolDiffs, poolLabel, chosen, seed * 7919 + round);
                    float[] mean = meanWeights(w);
                    int agree = 0, decided = 0;
                    for (int i : chosen) {
                        if (poolGold[i] == 0) continue;
                        decided++;
                        if ((poolGold[i] > 0) == poolLabel[i]) agree++;
                    }
                    out.add(new Point(s, seed, chosen.size(), accuracy(mean, heldDiffs, goldRows, goldFirst),
                            accuracy(mean, heldDiffs, labelRows, labelFirst), decided == 0 ? Double.NaN : agree / (double) decided));
                    progress.accept(s.id() + " seed " + seed + ": " + chosen.size() + " labels, held-out gold accuracy "
                            + String.format(java.util.Locale.ROOT, "%.3f", out.get(out.size() - 1).goldAccuracy()));
                    if (chosen.size() >= cfg.budget()) break;
                    int take = Math.min(cfg.batch(), cfg.budget() - chosen.size());
                    if (s == Strategy.ACTIVE) {
                        List<Integer> candidates = new ArrayList<>();
                        for (int i = 0; i < pool.size(); i++) if (!labelled[i]) candidates.add(i);
                        double[] dis = new double[candidates.size()];
                        for (int j = 0; j < dis.length; j++) dis[j] = disagreement(w, poolDiffs[candidates.get(j)]);
                        for (int j : TaskPrioritizer.topK(dis, take)) { int i = candidates.get(j); chosen.add(i); labelled[i] = true; }
                    } else {
                        for (int n = 0; n < take; randomNext++) {
                            int i = order[randomNext];
                            if (labelled[i]) continue;
                            chosen.add(i);
                            labelled[i] = true;
                            n++;
                        }
                    }
                }
            }
        }
        return out;
    }

    private static List<Integer> allRows(int n) {
        List<Integer> r = new ArrayList<>(n);
        for (int i = 0; i < n; i++) r.add(i);
        return r;
    }

    /** One member per bootstrap resample of the labelled pairs. */
    float[][] fitEnsemble(Diff[] diffs, boolean[] label, List<Integer> chosen, long seed) {
        float[][] w = new float[cfg.members()][];
        for (int k = 0; k < w.length; k++) {
            SplittableRandom rnd = new SplittableRandom(seed * 31 + k);
            int[] sample = new int[chosen.size()];
            for (int i = 0; i < sample.length; i++) sample[i] = chosen.get(rnd.nextInt(chosen.size()));
            w[k] = fit(diffs, label, sample, rnd);
        }
        return w;
    }

    /** Bradley-Terry logistic regression on feature differences by SGD: minimises log(1 + exp(−y·w·d)). */
    float[] fit(Diff[] diffs, boolean[] label, int[] rows, SplittableRandom rnd) {
        float[] w = new float[featurizer.config().dim()];
        int[] order = rows.clone();
        for (int e = 0; e < cfg.epochs(); e++) {
            for (int i = order.length - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); int t = order[i]; order[i] = order[j]; order[j] = t; }
            double lr = cfg.learningRate() / (1 + 0.5 * e);
            for (int r : order) {
                Diff d = diffs[r];
                double y = label[r] ? 1 : -1;
                double g = y * Losses.sigmoid(-y * d.dot(w)) * lr;
                for (int i = 0; i < d.idx().length; i++) w[d.idx()[i]] += (float) (g * d.val()[i]);
            }
            float shrink = (float) (1 - lr * cfg.l2());
            for (int i = 0; i < w.length; i++) w[i] *= shrink;
        }
        return w;
    }

    static float[] meanWeights(float[][] w) {
        float[] m = new float[w[0].length];
        for (float[] x : w) for (int i = 0; i < m.length; i++) m[i] += x[i] / w.length;
        return m;
    }

    /** The members' disagreement about "first is better": sample standard deviation of σ(w_k·d). */
    static double disagreement(float[][] w, Diff d) {
        double[] p = new double[w.length];
        for (int k = 0; k < w.length; k++) p[k] = Losses.sigmoid(d.dot(w[k]));
        double mean = Arrays.stream(p).average().orElseThrow(), ss = 0;
        for (double x : p) ss += (x - mean) * (x - mean);
        return Math.sqrt(ss / (p.length - 1));
    }

    /** Share of rows where the sign of w·d matches the truth (a zero score counts half). */
    static double accuracy(float[] w, Diff[] diffs, List<Integer> rows, boolean[] firstWins) {
        if (rows.isEmpty()) return Double.NaN;
        double right = 0;
        for (int i : rows) {
            double m = diffs[i].dot(w);
            right += m == 0 ? 0.5 : (m > 0) == firstWins[i] ? 1 : 0;
        }
        return right / rows.size();
    }

    /** The members as reward models (for checks and for saving): the same features, each member's weights. */
    RewardEnsemble ensemble(float[][] w) {
        List<LinearRewardModel> ms = new ArrayList<>();
        for (float[] x : w) ms.add(new LinearRewardModel(featurizer, x));
        return new RewardEnsemble(ms);
    }

    static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); int t = p[i]; p[i] = p[j]; p[j] = t; }
        return p;
    }

    /**
     * Mean curve of one strategy over seeds: {@code {labels[], meanAccuracy[]}}, from the points with the same label
     * count. {@code gold} picks gold accuracy, otherwise label accuracy.
     */
    public static double[][] meanCurve(List<Point> points, Strategy s, boolean gold) {
        java.util.TreeMap<Integer, double[]> acc = new java.util.TreeMap<>();
        for (Point p : points) {
            if (p.strategy() != s) continue;
            double[] a = acc.computeIfAbsent(p.labels(), k -> new double[2]);
            a[0] += gold ? p.goldAccuracy() : p.labelAccuracy();
            a[1]++;
        }
        double[][] out = new double[2][acc.size()];
        int i = 0;
        for (var e : acc.entrySet()) { out[0][i] = e.getKey(); out[1][i] = e.getValue()[0] / e.getValue()[1]; i++; }
        return out;
    }

    /**
     * The number of labels at which a curve first reaches {@code target}, linearly interpolated between its points;
     * empty if it never does.
     */
    public static OptionalDouble labelsToReach(double[][] curve, double target) {
        double[] x = curve[0], y = curve[1];
        for (int i = 0; i < x.length; i++) {
            if (y[i] >= target) {
                if (i == 0) return OptionalDouble.of(x[0]);
                double f = (target - y[i - 1]) / (y[i] - y[i - 1]);
                return OptionalDouble.of(x[i - 1] + f * (x[i] - x[i - 1]));
            }
        }
        return OptionalDouble.empty();
    }
}
