package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.rl.TrainingWarnings.Kind;
import dev.tandem.rl.TrainingWarnings.Observation;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** Each warning fires on its symptom, once, with a hint; healthy steps fire nothing. */
class WarningsTest {
    // step, KL per response, ratio, entropy per token, mean length, truncated fraction, score, KL limit
    static final Observation HEALTHY = new Observation(1, 0.0, 1.0, 1.5, 24, 0.2, 1.0, 25);

    @Test
    void healthyRunsStayQuiet() {
        TrainingWarnings w = new TrainingWarnings();
        w.check(HEALTHY);
        w.check(new Observation(2, 3.0, 1.02, 1.4, 22, 0.3, 2.0, 25));
        assertTrue(w.fired().isEmpty(), w.messages().toString());
    }

    @Test
    void eachSymptomFiresOnceWithAHint() {
        TrainingWarnings w = new TrainingWarnings();
        w.check(HEALTHY);
        w.check(new Observation(2, -0.5, 1.0, 1.5, 24, 0.2, 1.0, 25));     // negative KL
        w.check(new Observation(3, 1.0, 2.1, 1.5, 24, 0.2, 1.0, 25));      // ratio far from 1
        w.check(new Observation(4, 1.0, 1.0, 0.2, 24, 0.2, 1.0, 25));      // entropy 1.5 → 0.2 (< 20%)
        w.check(new Observation(5, 1.0, 1.0, 1.5, 1.2, 0.0, 1.0, 25));     // responses are just EOS
        w.check(new Observation(6, 1.0, 1.0, 1.5, 24, 0.97, 1.0, 25));     // all hit the limit (20% at first)
        w.check(new Observation(7, 40.0, 1.0, 1.5, 24, 0.2, 5.0, 25));     // reward up while KL explodes
        w.check(new Observation(8, -0.9, 3.0, 0.1, 1.0, 1.0, 9.0, 25));    // all again: no repeats
        assertEquals(EnumSet.of(Kind.NEGATIVE_KL, Kind.RATIO_FAR_FROM_ONE, Kind.ENTROPY_COLLAPSE, Kind.EOS_COLLAPSE,
                Kind.LENGTH_LIMIT_COLLAPSE, Kind.REWARD_HACKING), w.fired());
        assertEquals(6, w.messages().size());
        for (String m : w.messages()) assertTrue(m.contains("Hint:"), m);
        assertTrue(w.messages().get(0).startsWith("step 2: mean KL to the reference is negative"), w.messages().get(0));
    }

    @Test
    void stateSurvivesACheckpoint() {
        TrainingWarnings w = new TrainingWarnings();
        w.check(HEALTHY);
        w.check(new Observation(2, 40.0, 1.0, 1.5, 24, 0.2, 5.0, 25));
        TrainingWarnings restored = new TrainingWarnings();
        restored.restore(w.state());
        assertEquals(EnumSet.of(Kind.REWARD_HACKING), restored.fired());
        // the baseline came back too: entropy collapse is judged against step 1's 1.5
        restored.check(new Observation(3, 1.0, 1.0, 0.25, 24, 0.2, 1.0, 25));
        assertTrue(restored.fired().contains(Kind.ENTROPY_COLLAPSE));
    }
}
