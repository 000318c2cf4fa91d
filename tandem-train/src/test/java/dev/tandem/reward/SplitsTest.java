package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.io.PreferenceRecord;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Splits on the real files never put one debate, tree or line on both sides. */
class SplitsTest {

    private static Set<String> debates(PreferenceData d) {
        return d.records().stream().map(r -> PreferenceData.debateOf(r.groupKey())).collect(Collectors.toSet());
    }

    @Test
    void ukpSplitsByDebateKeepingBothSidesTogether() {
        PreferenceData all = PreferenceData.load(List.of("ukpconvarg:" + TestData.ukp()));
        assertEquals(12, debates(all).size(), "the shared data holds 12 debates");
        // the 24 files are 12 debates × 2 sides
        assertEquals(24, all.records().stream().map(PreferenceRecord::groupKey).distinct().count());
        for (long seed = 1; seed <= 5; seed++) {
            Splits.Split s = Splits.byGroup(all, 0.2, seed);
            Set<String> train = debates(s.train()), eval = debates(s.eval());
            assertFalse(eval.isEmpty());
            Set<String> both = new HashSet<>(train);
            both.retainAll(eval);
            assertTrue(both.isEmpty(), "debates on both sides: " + both);
            // both stances of every held-out debate are held out
            for (String debate : eval) {
                long sides = s.eval().records().stream().map(PreferenceRecord::groupKey)
                        .filter(k -> PreferenceData.debateOf(k).equals(debate)).distinct().count();
                assertEquals(2, sides, debate);
            }
            assertEquals(all.size(), s.train().size() + s.eval().size());
            double share = s.eval().size() / (double) all.size();
            assertTrue(share > 0.08 && share < 0.35, "held-out share " + share);
        }
        // deterministic under a seed
        assertEquals(debates(Splits.byGroup(all, 0.2, 7).eval()), debates(Splits.byGroup(all, 0.2, 7).eval()));
        // a named debate for cross-topic evaluation
        Splits.Split one = Splits.byPattern(all, Pattern.compile("^debate:is-porn-wrong-$"));
        assertEquals(Set.of("is-porn-wrong-"), debates(one.eval()));
        assertFalse(debates(one.train()).contains("is-porn-wrong-"));
    }

    @Test
    void oasstSplitsByTree() {
        PreferenceData all = PreferenceData.load(List.of("oasst:" + TestData.oasst()));
        Splits.Split s = Splits.byGroup(all, 0.2, 3);
        Set<String> train = s.train().records().stream().map(PreferenceRecord::groupKey).collect(Collectors.toSet());
        Set<String> eval = s.eval().records().stream().map(PreferenceRecord::groupKey).collect(Collectors.toSet());
        assertFalse(eval.isEmpty());
        Set<String> both = new HashSet<>(train);
        both.retainAll(eval);
        assertTrue(both.isEmpty(), "trees on both sides: " + both);
        assertTrue(train.size() + eval.size() >= 90, "about 100 trees with ranked replies");
        double share = s.eval().size() / (double) all.size();
        assertTrue(share > 0.15 && share < 0.25, "held-out share " + share);
    }

    @Test
    void hhSplitsByLine() {
        PreferenceData all = PreferenceData.load(List.of("hh-rlhf:" + TestData.hh()));
        Splits.Split s = Splits.byGroup(all, 0.2, 1);
        Set<Long> train = s.train().records().stream().map(r -> r.source().line()).collect(Collectors.toSet());
        Set<Long> eval = s.eval().records().stream().map(r -> r.source().line()).collect(Collectors.toSet());
        Set<Long> both = new HashSet<>(train);
        both.retainAll(eval);
        assertTrue(both.isEmpty());
        assertEquals(all.size(), train.size() + eval.size());
        assertEquals(0.2, eval.size() / (double) all.size(), 0.005);
    }

    @Test
    void bootstrapResamplesWithReplacement() {
        PreferenceData all = PreferenceData.load(List.of("ukpconvarg:" + TestData.ukp()));
        PreferenceData b = Splits.bootstrap(all, 1);
        assertEquals(all.size(), b.size());
        long distinct = b.records().stream().map(r -> r.source().toString()).distinct().count();
        // about 1 − 1/e ≈ 63% distinct
        assertTrue(distinct > 0.58 * all.size() && distinct < 0.68 * all.size(), "distinct " + distinct);
    }
}
