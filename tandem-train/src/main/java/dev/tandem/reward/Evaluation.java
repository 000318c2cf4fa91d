package dev.tandem.reward;

import dev.tandem.feedback.io.PreferenceRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reward-model evaluation on held-out preferences: pairwise accuracy, Bradley-Terry loss, reward margin,
 * calibration (ECE of σ(r_c − r_r)) and length bias (Spearman correlation of reward with response length, the
 * "longer wins" baseline, how often the model prefers the longer reply, and its accuracy where people chose the
 * shorter one). Rankings count as all their decisive pairs; tied pairs are counted but not scored.
 */
public final class Evaluation {
    private Evaluation() {}

    /** Number of calibration bins over confidence [0.5, 1]. */
    public static final int BINS = 10;

    /** One reliability bin: confidence range, pairs in it, mean confidence, accuracy. */
    public record Bin(double lower, double upper, int count, double confidence, double accuracy) {}

    /** A scored pair: rewards of the chosen and rejected reply and their lengths in characters. */
    public record ScoredPair(double chosenReward, double rejectedReward, int chosenLength, int rejectedLength) {}

    /**
     * @param pairs                 decisive pairs scored
     * @param ties                  tied pairs (not scored)
     * @param accuracy              share with r_chosen &gt; r_rejected (equal rewards count half)
     * @param loss                  mean {@code −log σ(r_c − r_r)}
     * @param margin                mean {@code r_c − r_r}
     * @param ece                   expected calibration error of σ(r_c − r_r)
     * @param lengthSpearman        Spearman correlation of reward with response length over the distinct responses
     * @param longerWins            accuracy of "the longer reply wins" (equal lengths count half)
     * @param prefersLonger         share of pairs where the model gives the longer reply the higher reward
     * @param shorterChosenPairs    pairs where people chose the strictly shorter reply
     * @param accuracyShorterChosen the model's accuracy on those pairs
     */
    public record Report(int pairs, int ties, double accuracy, double loss, double margin, double ece,
            double lengthSpearman, double longerWins, double prefersLonger, int shorterChosenPairs,
            double accuracyShorterChosen, double minReward, double meanReward, double maxReward, List<Bin> calibration,
            List<ScoredPair> scored) {

        /** The headline metrics as a flat map (for eval.json, metrics logs and tables). */
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("accuracy", accuracy);
            m.put("loss", loss);
            m.put("margin", margin);
            m.put("ece", ece);
            m.put("length_spearman", lengthSpearman);
            m.put("longer_wins_accuracy", longerWins);
            m.put("prefers_longer", prefersLonger);
            m.put("accuracy_shorter_chosen", accuracyShorterChosen);
            m.put("min_reward", minReward);
            m.put("mean_reward", meanReward);
            m.put("max_reward", maxReward);
            return m;
        }

        /**
         * Whether the model looks like "longer is better": it prefers the longer reply in most pairs clearly more
         * often than people did, or falls below chance on the pairs where people chose the shorter reply.
         */
        public boolean lengthBiased() {
            return (prefersLonger > 0.5 && prefersLonger - longerWins > 0.1)
                    || (shorterChosenPairs >= 20 && accuracyShorterChosen < 0.5 && lengthSpearman > 0.3);
        }
    }

    /** Scores every distinct (prompt, response) once, in batches, and evaluates. */
    public static Report evaluate(RewardModel model, PreferenceData data, int batchSize) {
        List<String[]> pairs = new ArrayList<>(); // prompt, chosen, rejected
        int ties = 0;
        for (PreferenceRecord r : data.records()) {
            if (r instanceof PreferenceRecord.Pair p) {
                pairs.add(new String[] {p.prompt(), p.chosen(), p.rejected()});
            } else {
                PreferenceRecord.Ranked k = (PreferenceRecord.Ranked) r;
                for (PreferenceRecord.Pair p : k.pairs()) pairs.add(new String[] {p.prompt(), p.chosen(), p.rejected()});
                for (int i = 0; i < k.ranks().size(); i++)
                    for (int j = i + 1; j < k.ranks().size(); j++)
                        if (k.ranks().get(i).equals(k.ranks().get(j))) ties++;
            }
        }
        if (pairs.isEmpty()) throw new IllegalArgumentException("no decisive pairs to evaluate");
        Map<List<String>, Double> rewards = scoreDistinct(model, pairs, batchSize);
        List<ScoredPair> scored = new ArrayList<>(pairs.size());
        for (String[] p : pairs) {
            scored.add(new ScoredPair(rewards.get(List.of(p[0], p[1])), rewards.get(List.of(p[0], p[2])),
                    p[1].codePointCount(0, p[1].length()), p[2].codePointCount(0, p[2].length())));
        }
        double[] r = new double[rewards.size()], len = new double[rewards.size()];
        int i = 0;
        for (var e : rewards.entrySet()) {
            r[i] = e.getValue();
            String resp = e.getKey().get(1);
            len[i++] = resp.codePointCount(0, resp.length());
        }
        return report(scored, ties, spearman(r, len), r);
    }

    /** Metrics of already scored pairs; {@code distinctRewards} feed min/mean/max. */
    static Report report(List<ScoredPair> scored, int ties, double lengthSpearman, double[] distinctRewards) {
        int n = scored.size();
        double acc = 0, loss = 0, margin = 0, longer = 0, prefersLonger = 0, accShort = 0;
        int shortChosen = 0;
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            ScoredPair s = scored.get(i);
            double d = s.chosenReward() - s.rejectedReward();
            acc += d > 0 ? 1 : d == 0 ? 0.5 : 0;
            loss += Losses.softplus(-d);
            margin += d;
            p[i] = Losses.sigmoid(d);
            int lc = s.chosenLength(), lr = s.rejectedLength();
            longer += lc > lr ? 1 : lc == lr ? 0.5 : 0;
            if (lc != lr) {
                double longerMinusShorter = lc > lr ? d : -d;
                prefersLonger += longerMinusShorter > 0 ? 1 : longerMinusShorter == 0 ? 0.5 : 0;
            } else {
                prefersLonger += 0.5;
            }
            if (lc < lr) {
                shortChosen++;
                accShort += d > 0 ? 1 : d == 0 ? 0.5 : 0;
            }
        }
        List<Bin> bins = calibration(p);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : distinctRewards) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        return new Report(n, ties, acc / n, loss / n, margin / n, ece(bins, n), lengthSpearman, longer / n,
                prefersLonger / n, shortChosen, shortChosen == 0 ? Double.NaN : accShort / shortChosen, min,
                sum / distinctRewards.length, max, bins, scored);
    }

    /**
     * Reliability bins of binary predictions {@code pChosen} = P(chosen wins): confidence {@code max(p, 1 − p)},
     * correct when {@code p > 0.5} (p = 0.5 counts half), {@link #BINS} equal bins over [0.5, 1].
     */
    public static List<Bin> calibration(double[] pChosen) {
        int[] count = new int[BINS];
        double[] conf = new double[BINS], correct = new double[BINS];
        for (double p : pChosen) {
            double c = Math.max(p, 1 - p);
            int b = Math.min(BINS - 1, (int) ((c - 0.5) * 2 * BINS));
            count[b]++;
            conf[b] += c;
            correct[b] += p > 0.5 ? 1 : p == 0.5 ? 0.5 : 0;
        }
        List<Bin> bins = new ArrayList<>();
        for (int b = 0; b < BINS; b++) {
            double lo = 0.5 + 0.5 * b / BINS, hi = 0.5 + 0.5 * (b + 1) / BINS;
            bins.add(new Bin(lo, hi, count[b], count[b] == 0 ? Double.NaN : conf[b] / count[b],
                    count[b] == 0 ? Double.NaN : correct[b] / count[b]));
        }
        return bins;
    }

    /** ECE = Σ_b (n_b / N) · |accuracy_b − confidence_b|. */
    public static double ece(List<Bin> bins, int n) {
        double e = 0;
        for (Bin b : bins) if (b.count() > 0) e += (double) b.count() / n * Math.abs(b.accuracy() - b.confidence());
        return e;
    }

    /** ECE of predictions P(chosen wins) whose outcome is always "chosen wins". */
    public static double ece(double[] pChosen) {
        return ece(calibration(pChosen), pChosen.length);
    }

    /** Spearman's rank correlation (Pearson correlation of average ranks); NaN if either side is constant. */
    public static double spearman(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("lengths differ");
        return pearson(averageRanks(x), averageRanks(y));
    }

    /** 1-based ranks, ties sharing their average rank. */
    public static double[] averageRanks(double[] x) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < x.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(x[a], x[b]));
        double[] ranks = new double[x.length];
        for (int i = 0; i < x.length; ) {
            int j = i;
            while (j + 1 < x.length && x[order[j + 1]] == x[order[i]]) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = avg;
            i = j + 1;
        }
        return ranks;
    }

    static double pearson(double[] a, double[] b) {
        int n = a.length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
    }

    /** Rewards of every distinct (prompt, response), scored in batches. */
    static Map<List<String>, Double> scoreDistinct(RewardModel model, List<String[]> pairs, int batchSize) {
        Map<List<String>, Double> out = new LinkedHashMap<>();
        Map<List<String>, Boolean> seen = new HashMap<>();
        List<List<String>> todo = new ArrayList<>();
        for (String[] p : pairs) {
            for (int side = 1; side <= 2; side++) {
                List<String> key = List.of(p[0], p[side]);
                if (seen.putIfAbsent(key, Boolean.TRUE) == null) todo.add(key);
            }
        }
        for (int s = 0; s < todo.size(); s += batchSize) {
            List<List<String>> chunk = todo.subList(s, Math.min(todo.size(), s + batchSize));
            float[] r = model.score(chunk.stream().map(k -> k.get(0)).toList(), chunk.stream().map(k -> k.get(1)).toList());
            for (int i = 0; i < chunk.size(); i++) {
                if (!Float.isFinite(r[i])) throw new IllegalStateException(model.name() + " gave a non-finite reward ("
                        + r[i] + ") for a response of " + chunk.get(i).get(1).length() + " characters");
                out.put(chunk.get(i), (double) r[i]);
            }
        }
        return out;
    }
}
