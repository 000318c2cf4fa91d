package dev.tandem.loop.judge;

import dev.tandem.feedback.JudgementPayload.Choice;
import java.util.List;
import java.util.Objects;

/**
 * A model that judges pairwise comparisons in place of a person: the current reward model
 * ({@link RewardModelJudge}) or a chat model behind an OpenAI-compatible endpoint ({@link OpenAiChatJudge}).
 * Its judgements are stored under an annotator of kind {@code ai-judge}, with a confidence, by {@link JudgePass}.
 */
public sealed interface AiJudge permits RewardModelJudge, OpenAiChatJudge {

    /** The annotator name its judgements are stored under, e.g. {@code ai:reward-model:v3}. */
    String name();

    /**
     * Judges each pair; {@code result.get(i)} answers {@code pairs.get(i)}.
     *
     * @throws JudgeException when the judge cannot answer (unreachable endpoint, HTTP error, unreadable reply)
     */
    List<Verdict> judge(List<Pair> pairs);

    /** How many pairs {@link JudgePass} hands over per call (a failed call stores nothing for all of them). */
    default int batchSize() { return 1; }

    /** Which of two replies to one prompt is better. {@code a} and {@code b} are in the task's order. */
    record Pair(String prompt, String a, String b) {
        public Pair {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(a, "a");
            Objects.requireNonNull(b, "b");
        }
    }

    /**
     * A judge's answer.
     *
     * @param choice       A, B or TIE
     * @param probabilityA the judge's probability that A is better, in [0, 1] (0.5 for a tie)
     * @param confidence   the judge's probability that its answer is right, in [0, 1]
     */
    record Verdict(Choice choice, double probabilityA, double confidence) {
        public Verdict {
            Objects.requireNonNull(choice, "choice");
            if (choice == Choice.BOTH_BAD) throw new IllegalArgumentException("an AI judge answers A, B or TIE");
            if (!(probabilityA >= 0 && probabilityA <= 1)) throw new IllegalArgumentException("probabilityA must be in [0, 1], got " + probabilityA);
            if (!(confidence >= 0 && confidence <= 1)) throw new IllegalArgumentException("confidence must be in [0, 1], got " + confidence);
        }

        /** The verdict for a probability that A is better: A above 0.5, B below, TIE at exactly 0.5. */
        public static Verdict ofProbability(double pA) {
            Choice c = pA > 0.5 ? Choice.A : pA < 0.5 ? Choice.B : Choice.TIE;
            return new Verdict(c, pA, c == Choice.TIE ? 0.5 : Math.max(pA, 1 - pA));
        }

        /** A stated answer with the judge's confidence in it; P(A) follows (0.5 for a tie). */
        public static Verdict ofAnswer(Choice c, double confidence) {
            double pA = switch (c) {
                case A -> confidence;
                case B -> 1 - confidence;
                default -> 0.5;
            };
            return new Verdict(c, pA, confidence);
        }
    }
}
