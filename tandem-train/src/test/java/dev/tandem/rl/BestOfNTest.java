package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.Models;
import dev.tandem.reward.RewardModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Best-of-n against the sentiment reward: the pick is the top-scoring candidate; its mean beats a single sample. */
class BestOfNTest {

    @Test
    void picksTheHighestScoringCandidate() throws Exception {
        List<BestOfN.Choice> out;
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel r = RlFixtures.sentiment()) {
            out = BestOfN.run(m.model(), m.tokenizer(), r, Prompts.STORY_OPENINGS.subList(0, 8),
                    new BestOfN.Config(8, 24, 1f, 5));
            for (BestOfN.Choice c : out) {
                assertEquals(8, c.candidates().size());
                float max = Float.NEGATIVE_INFINITY;
                for (float s : c.scores()) max = Math.max(max, s);
                assertEquals(max, c.bestScore());
                assertEquals(c.best(), c.candidates().get(indexOf(c.scores(), max)));
                // the reward model agrees with itself on the chosen text
                assertEquals(c.bestScore(), r.score(List.of(c.prompt()), List.of(c.best()))[0]);
            }
        }
        double best = out.stream().mapToDouble(BestOfN.Choice::bestScore).average().orElseThrow();
        double single = out.stream().mapToDouble(BestOfN.Choice::meanScore).average().orElseThrow();
        System.err.printf("best-of-8 sentiment over 8 prompts: one sample %.3f, best %.3f%n", single, best);
        assertTrue(best > single + 1, "best of 8 should clearly beat the average sample: " + best + " vs " + single);
        // log 8 − 7/8 = 2.0794415 − 0.875 = 1.2044415
        assertEquals(1.2044415, BestOfN.klBound(8), 1e-7);
        assertEquals(0.0, BestOfN.klBound(1), 0);
    }

    private static int indexOf(float[] a, float v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
