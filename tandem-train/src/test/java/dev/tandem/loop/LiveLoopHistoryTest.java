package dev.tandem.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.io.PreferenceFormat;
import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.feedback.io.SourceRef;
import dev.tandem.reward.PreferenceData;
import dev.tandem.reward.Splits;
import dev.tandem.train.RunDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live loop's held-out slice and history file, without a model. */
class LiveLoopHistoryTest {

    private static PreferenceData pairs(int n, boolean flip) {
        List<PreferenceRecord> rs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String a = "a happy ending number " + i, b = "a sad ending number " + i;
            rs.add(new PreferenceRecord.Pair("Once upon a time " + (i % 7), flip ? b : a, flip ? a : b, null, null,
                    new SourceRef("comparisons.jsonl", i + 1, null)));
        }
        return PreferenceData.of(PreferenceFormat.JSONL, rs);
    }

    private static Set<String> keys(PreferenceData d) {
        Set<String> out = new HashSet<>();
        for (PreferenceRecord r : d.records()) {
            PreferenceRecord.Pair p = (PreferenceRecord.Pair) r;
            out.add(p.prompt() + "|" + p.chosen().replace("sad", "happy"));
        }
        return out;
    }

    @Test
    void heldOutSliceIsStableAsDataGrowsAndNeverTrainedOnLater() {
        Set<String> everHeld = new HashSet<>();
        Set<String> everTrained = new HashSet<>();
        for (int n : new int[] {4, 9, 30, 120, 400}) {
            Splits.Split s = LiveLoop.heldOutSlice(pairs(n, false), 0.2);
            assertEquals(n, s.train().size() + s.eval().size());
            assertFalse(s.eval().records().isEmpty(), "something is always held out");
            Set<String> held = keys(s.eval()), trained = keys(s.train());
            for (String k : held) assertFalse(everTrained.contains(k), "trained on earlier, held out now: " + k);
            for (String k : trained) assertFalse(everHeld.contains(k), "held out earlier, trained on now: " + k);
            // (below 30 pairs the slice may be the one smallest-hash pair, which a later hash-chosen slice replaces)
            if (n >= 30) everHeld.addAll(held);
            everTrained.addAll(trained);
        }
        Splits.Split big = LiveLoop.heldOutSlice(pairs(400, false), 0.2);
        double share = big.eval().size() / 400.0;
        assertTrue(share > 0.14 && share < 0.26, "held-out share " + share);
        // The slice does not depend on which side won: the same comparison judged the other way stays held out.
        assertEquals(keys(big.eval()), keys(LiveLoop.heldOutSlice(pairs(400, true), 0.2).eval()));
    }

    @Test
    void historyRoundTripsAndDropsVersionsThatStateDoesNotHave(@TempDir Path tmp) throws Exception {
        LiveLoop.History h = new LiveLoop.History(
                List.of(new LiveLoop.JudgementPoint("2026-01-01T00:00:00Z", 3), new LiveLoop.JudgementPoint("2026-01-01T00:01:00Z", 7)),
                List.of(new LiveLoop.RewardModelVersion(1, "2026-01-01T00:01:00Z", 7, 5, 1, 1.0, 0.4, false, 0.2),
                        new LiveLoop.RewardModelVersion(2, "2026-01-01T00:02:00Z", 14, 11, 2, null, null, true, 0.3)),
                List.of(new LiveLoop.PolicyRound(1, "2026-01-01T00:01:30Z", "ppo", 1, 2, 0.5, 0.01,
                        List.of(new LiveLoop.CurvePoint(1, 0.4, 0.0), new LiveLoop.CurvePoint(2, 0.5, 0.01)), 1.5)),
                List.of(new LiveLoop.VersionEvent("policy", "v0", "2026-01-01T00:00:00Z", "the original"),
                        new LiveLoop.VersionEvent("reward-model", "v1", "2026-01-01T00:01:00Z", "5 comparisons"),
                        new LiveLoop.VersionEvent("policy", "v1", "2026-01-01T00:01:30Z", "ppo"),
                        new LiveLoop.VersionEvent("reward-model", "v2", "2026-01-01T00:02:00Z", "warm")),
                List.of(new LiveLoop.SampleSet(1, "2026-01-01T00:01:30Z",
                        List.of(new LiveLoop.SidePair("Once", "<b>v0</b> story", "v1 story")))));
        Path file = tmp.resolve("history.json");
        RunDirectory.writeJsonAtomically(file, h);
        assertFalse(Files.readString(file).contains("NaN"));
        LiveLoop.History back = LiveLoop.readHistory(file, "stories260K");
        assertEquals(h, back);
        assertNull(back.rewardModels().get(1).heldOutAccuracy());

        // state.json says reward model v1: v2 was written to the history just before a crash
        LiveLoop.History trimmed = back.upTo(new LiveLoop.State(1, "policy/v1/final", 1, "rm/v1/model", 7, 0));
        assertEquals(List.of(1), trimmed.rewardModels().stream().map(LiveLoop.RewardModelVersion::version).toList());
        assertEquals(List.of("policy v0", "reward-model v1", "policy v1"),
                trimmed.versions().stream().map(v -> v.model() + " " + v.version()).toList());
        assertEquals(1, trimmed.policyRounds().size());
        assertEquals(1, trimmed.samples().size());
        assertEquals(h.judgements(), trimmed.judgements());

        LiveLoop.History fresh = LiveLoop.readHistory(tmp.resolve("missing.json"), "stories260K");
        assertEquals(List.of("v0"), fresh.versions().stream().map(LiveLoop.VersionEvent::version).toList());
        assertTrue(fresh.rewardModels().isEmpty() && fresh.judgements().isEmpty());
    }
}
