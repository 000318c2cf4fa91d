package dev.tandem.feedback.store;

import dev.tandem.feedback.JudgementPayload;

/** Whether an answer (in task order) matches a gold answer. */
final class GoldCheck {
    private GoldCheck() {}

    /**
     * Pairwise: same choice (strength and comment ignored). Ranking: same order (dense ranks equal). Rating: score
     * within one point of the gold score. Demonstrations are never gold.
     */
    static boolean matches(JudgementPayload gold, JudgementPayload answer) {
        if (gold.kind() != answer.kind()) return false;
        if (gold instanceof JudgementPayload.Pairwise g && answer instanceof JudgementPayload.Pairwise a) return g.choice() == a.choice();
        if (gold instanceof JudgementPayload.Ranking g && answer instanceof JudgementPayload.Ranking a) return g.denseRanks().equals(a.denseRanks());
        if (gold instanceof JudgementPayload.Rating g && answer instanceof JudgementPayload.Rating a) return Math.abs(g.score() - a.score()) <= 1;
        return false;
    }
}
