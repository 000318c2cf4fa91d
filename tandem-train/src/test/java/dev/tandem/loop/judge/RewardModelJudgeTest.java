package dev.tandem.loop.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.feedback.JudgementPayload.Choice;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardModelJudgeTest {
    @Test
    void confidenceIsTheSigmoidOfTheRewardDifference() {
        var rm = new FakeRewardModel(Map.of("good", 2.0, "fair", 0.5, "bad", -1.0, "same", 0.5));
        var judge = new RewardModelJudge(rm, "ai:reward-model:test");
        List<AiJudge.Verdict> v = judge.judge(List.of(
                new AiJudge.Pair("p", "good", "fair"),   // σ(1.5) = 0.8175744762
                new AiJudge.Pair("p", "bad", "fair"),    // σ(-1.5) = 0.1824255238: B with 0.8175744762
                new AiJudge.Pair("p", "bad", "good"),    // σ(-3) = 0.0474258732
                new AiJudge.Pair("p", "fair", "same"))); // equal rewards: a tie at 0.5
        assertEquals(Choice.A, v.get(0).choice());
        assertEquals(0.8175744762, v.get(0).probabilityA(), 1e-6);
        assertEquals(0.8175744762, v.get(0).confidence(), 1e-6);
        assertEquals(Choice.B, v.get(1).choice());
        assertEquals(0.1824255238, v.get(1).probabilityA(), 1e-6);
        assertEquals(0.8175744762, v.get(1).confidence(), 1e-6);
        assertEquals(Choice.B, v.get(2).choice());
        assertEquals(1 - 0.0474258732, v.get(2).confidence(), 1e-6);
        assertEquals(Choice.TIE, v.get(3).choice());
        assertEquals(0.5, v.get(3).probabilityA());
        assertEquals(0.5, v.get(3).confidence());
    }

    @Test
    void judgesLargeBatchesInChunksAndRejectsNonFiniteRewards() {
        var rm = new FakeRewardModel(Map.of("x", 1.0));
        var judge = new RewardModelJudge(rm, "ai:rm");
        List<AiJudge.Pair> many = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) many.add(new AiJudge.Pair("p" + i, "x", "y" + i));
        List<AiJudge.Verdict> v = judge.judge(many);
        assertEquals(150, v.size());
        for (AiJudge.Verdict x : v) assertEquals(0.7310585786, x.probabilityA(), 1e-6); // σ(1)
        var nan = new RewardModelJudge(new FakeRewardModel(Map.of("x", Double.NaN)), "ai:nan");
        assertThrows(JudgeException.class, () -> nan.judge(List.of(new AiJudge.Pair("p", "x", "y"))));
    }

    @Test
    void priorityPutsDisagreementAndUncertaintyFirst() {
        double sureAgree = JudgePass.priority(List.of(0.95, 0.95));
        double disagree = JudgePass.priority(List.of(0.9, 0.1));
        double unsure = JudgePass.priority(List.of(0.55, 0.5));
        assertEquals(0.1, sureAgree, 1e-9);           // 1 − |2·0.95 − 1|
        assertEquals(1.4, disagree, 1e-9);            // 1 − 0 + std 0.4
        assertEquals(0.975, unsure, 1e-9);            // 1 − 0.05 + 0.025
    }
}
