package dev.tandem.feedback.stats;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Inter-annotator agreement for nominal labels, as pure functions. Labels are strings compared with
 * {@code equals}; null means "no label" and is skipped. Undefined results are {@link Double#NaN}.
 */
public final class Agreement {
    private Agreement() {}

    /**
     * Fraction of items on which two annotators gave the same label, over the items both labelled.
     *
     * @param a labels of annotator 1, item by item
     * @param b labels of annotator 2, same items in the same order
     * @return in [0, 1], NaN if no item has both labels
     */
    public static double percentAgreement(List<String> a, List<String> b) {
        checkSameSize(a, b);
        int n = 0, same = 0;
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) == null || b.get(i) == null) continue;
            n++;
            if (a.get(i).equals(b.get(i))) same++;
        }
        return n == 0 ? Double.NaN : (double) same / n;
    }

    /**
     * Cohen's kappa for two annotators: {@code (po - pe) / (1 - pe)} where po is the observed agreement and pe the
     * agreement expected from each annotator's own label frequencies. Items missing either label are skipped.
     *
     * @return kappa in [-1, 1]; NaN if no item has both labels or if pe = 1 (both always gave the same one label)
     */
    public static double cohenKappa(List<String> a, List<String> b) {
        checkSameSize(a, b);
        Map<String, Integer> ca = new HashMap<>(), cb = new HashMap<>();
        int n = 0, same = 0;
        for (int i = 0; i < a.size(); i++) {
            String x = a.get(i), y = b.get(i);
            if (x == null || y == null) continue;
            n++;
            if (x.equals(y)) same++;
            ca.merge(x, 1, Integer::sum);
            cb.merge(y, 1, Integer::sum);
        }
        if (n == 0) return Double.NaN;
        double po = (double) same / n;
        double pe = 0;
        for (var e : ca.entrySet()) pe += (e.getValue() / (double) n) * (cb.getOrDefault(e.getKey(), 0) / (double) n);
        if (Math.abs(1 - pe) < 1e-12) return Double.NaN;
        return (po - pe) / (1 - pe);
    }

    /**
     * Krippendorff's alpha for nominal data: {@code 1 - (n - 1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k}, from the
     * coincidence matrix {@code o_ck = sum_u (pairs c-k in u) / (m_u - 1)} over units with at least two labels.
     * Handles any number of annotators and missing labels.
     *
     * @param units one list of labels per item (one label per annotator who labelled it; nulls are ignored)
     * @return alpha (1 = perfect, 0 = chance, below 0 = systematic disagreement); NaN when fewer than two pairable
     *     labels exist or all pairable labels are the same value (expected disagreement 0)
     */
    public static double krippendorffAlphaNominal(List<List<String>> units) {
        Map<String, Map<String, Double>> o = new HashMap<>();
        Map<String, Double> nc = new HashMap<>();
        double n = 0;
        for (List<String> unit : units) {
            List<String> values = unit.stream().filter(Objects::nonNull).toList();
            int m = values.size();
            if (m < 2) continue;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    if (i == j) continue;
                    o.computeIfAbsent(values.get(i), k -> new HashMap<>()).merge(values.get(j), 1.0 / (m - 1), Double::sum);
                }
                nc.merge(values.get(i), 1.0, Double::sum);
            }
            n += m;
        }
        if (n < 2) return Double.NaN;
        double observed = 0;
        for (var row : o.entrySet())
            for (var cell : row.getValue().entrySet())
                if (!row.getKey().equals(cell.getKey())) observed += cell.getValue();
        double expected = 0;
        Set<String> values = new HashSet<>(nc.keySet());
        for (String c : values)
            for (String k : values)
                if (!c.equals(k)) expected += nc.get(c) * nc.get(k);
        if (expected == 0) return Double.NaN;
        return 1 - (n - 1) * observed / expected;
    }

    /**
     * Mean pairwise percent agreement across items: for each item with at least two labels, the fraction of
     * annotator pairs that agree; then the mean over those items.
     *
     * @return in [0, 1], NaN if no item has two labels
     */
    public static double meanPairwiseAgreement(List<List<String>> units) {
        double sum = 0;
        int items = 0;
        for (List<String> unit : units) {
            List<String> v = unit.stream().filter(Objects::nonNull).toList();
            if (v.size() < 2) continue;
            int pairs = 0, same = 0;
            for (int i = 0; i < v.size(); i++)
                for (int j = i + 1; j < v.size(); j++) {
                    pairs++;
                    if (v.get(i).equals(v.get(j))) same++;
                }
            sum += (double) same / pairs;
            items++;
        }
        return items == 0 ? Double.NaN : sum / items;
    }

    private static void checkSameSize(List<String> a, List<String> b) {
        if (a.size() != b.size()) throw new IllegalArgumentException("label lists differ in length: " + a.size() + " vs " + b.size());
    }
}
