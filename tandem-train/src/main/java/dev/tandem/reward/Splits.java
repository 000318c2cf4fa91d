package dev.tandem.reward;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Train/eval splits that never put one group on both sides (see {@link PreferenceData} for the groups: HH-RLHF by
 * line, OASST by tree, UKPConvArg by debate).
 */
public final class Splits {
    private Splits() {}

    /** Two disjoint parts of a data set. */
    public record Split(PreferenceData train, PreferenceData eval) {}

    /**
     * Holds out whole groups, chosen in a seeded random order, until the held-out part has the share of records
     * closest to {@code evalFraction}. Both parts are non-empty.
     */
    public static Split byGroup(PreferenceData data, double evalFraction, long seed) {
        if (!(evalFraction > 0 && evalFraction < 1)) {
            throw new IllegalArgumentException("split fraction must be in (0, 1), got " + evalFraction);
        }
        Map<String, List<Integer>> byGroup = indexByGroup(data);
        if (byGroup.size() < 2) {
            throw new IllegalArgumentException("cannot split: all " + data.size() + " records are in one group ("
                    + byGroup.keySet().iterator().next() + "); pass a separate --eval set");
        }
        List<String> order = new ArrayList<>(byGroup.keySet());
        Collections.sort(order);
        Collections.shuffle(order, new Random(seed));
        double target = evalFraction * data.size();
        Set<String> held = new HashSet<>();
        int count = 0;
        for (String g : order) {
            if (held.size() == order.size() - 1) break; // keep at least one group for training
            int n = byGroup.get(g).size();
            // add the group if that brings the held-out size closer to the target (always take the first one)
            if (held.isEmpty() || Math.abs(count + n - target) < Math.abs(count - target)) {
                held.add(g);
                count += n;
            }
            if (count >= target) break;
        }
        return partition(data, held::contains);
    }

    /** Holds out the groups whose name matches {@code evalGroups} (e.g. one UKPConvArg debate for cross-topic tests). */
    public static Split byPattern(PreferenceData data, Pattern evalGroups) {
        Split s = partition(data, g -> evalGroups.matcher(g).find());
        if (s.eval().size() == 0) throw new IllegalArgumentException("no group matches " + evalGroups + "; groups are "
                + data.distinctGroups().stream().limit(20).toList());
        if (s.train().size() == 0) throw new IllegalArgumentException("every group matches " + evalGroups);
        return s;
    }

    /** Bootstrap resample of whole records (with replacement), as for ensemble members. */
    public static PreferenceData bootstrap(PreferenceData data, long seed) {
        Random rnd = new Random(seed);
        List<Integer> idx = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) idx.add(rnd.nextInt(data.size()));
        Collections.sort(idx);
        return data.subset(idx);
    }

    private static Map<String, List<Integer>> indexByGroup(PreferenceData data) {
        Map<String, List<Integer>> m = new LinkedHashMap<>();
        for (int i = 0; i < data.size(); i++) m.computeIfAbsent(data.groups().get(i), k -> new ArrayList<>()).add(i);
        return m;
    }

    private static Split partition(PreferenceData data, java.util.function.Predicate<String> heldOut) {
        List<Integer> train = new ArrayList<>(), eval = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) (heldOut.test(data.groups().get(i)) ? eval : train).add(i);
        if (train.isEmpty() || eval.isEmpty()) {
            return new Split(train.isEmpty() ? empty() : data.subset(train), eval.isEmpty() ? empty() : data.subset(eval));
        }
        return new Split(data.subset(train), data.subset(eval));
    }

    private static PreferenceData empty() {
        return new PreferenceData(List.of(), List.of(), Map.of());
    }
}
