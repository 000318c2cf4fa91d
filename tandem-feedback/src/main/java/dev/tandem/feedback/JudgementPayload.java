package dev.tandem.feedback;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What an annotator answered. Positions ("A", "B", ranks[i]) refer to the responses in the order the
 * payload's context defines: in a {@link Judgement} that is the order SHOWN to the annotator
 * ({@link Shown#responseIds()}); a task's gold answer and {@link #inOrder} results use the TASK's order
 * ({@link Task#responseIds()}). Use {@link #inOrder(List, List)} to convert.
 */
public sealed interface JudgementPayload
        permits JudgementPayload.Pairwise, JudgementPayload.Ranking, JudgementPayload.Rating, JudgementPayload.Demonstration {

    /** The task kind this payload answers. */
    JudgementKind kind();

    /** Optional free-text comment, null when absent. */
    String comment();

    /**
     * Re-expresses this payload for another order of the same responses.
     *
     * @param fromOrder the response ids in the order this payload refers to
     * @param toOrder the same ids in the wanted order
     */
    JudgementPayload inOrder(List<Long> fromOrder, List<Long> toOrder);

    /**
     * A nominal label for agreement statistics, e.g. {@code A}, {@code tie}, {@code 0,1,1}, {@code 5}.
     * Only comparable between payloads expressed in the same response order.
     */
    String label();

    /** Pairwise answer. */
    enum Choice {
        A, B, TIE, BOTH_BAD;

        public String wireName() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
        public static Choice fromWire(String s) { return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_')); }
        /** Swaps A and B, keeps tie and both-bad. */
        public Choice swapped() { return this == A ? B : this == B ? A : this; }
    }

    /** How much better the preferred side is (as in Anthropic's collection interface). */
    enum Strength {
        SLIGHTLY, CLEARLY, MUCH;

        public String wireName() { return name().toLowerCase(java.util.Locale.ROOT); }
        public static Strength fromWire(String s) { return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT)); }
    }

    /**
     * A better / B better / tie / both bad.
     *
     * @param choice the answer
     * @param strength optional, only allowed with A or B
     * @param comment optional
     */
    record Pairwise(Choice choice, Strength strength, String comment) implements JudgementPayload {
        public Pairwise {
            Objects.requireNonNull(choice, "choice");
            if (strength != null && (choice == Choice.TIE || choice == Choice.BOTH_BAD))
                throw new IllegalArgumentException("strength is only allowed when A or B is better");
            comment = Validate.comment(comment);
        }

        public Pairwise(Choice choice) { this(choice, null, null); }

        @Override public JudgementKind kind() { return JudgementKind.PAIRWISE; }

        @Override public Pairwise inOrder(List<Long> fromOrder, List<Long> toOrder) {
            Orders.check(fromOrder, toOrder, 2);
            boolean same = fromOrder.get(0).equals(toOrder.get(0));
            return same ? this : new Pairwise(choice.swapped(), strength, comment);
        }

        @Override public String label() { return choice.wireName(); }
    }

    /**
     * A ranking: {@code ranks.get(i)} is the rank of response i, 0 = best; equal numbers are ties.
     *
     * @param ranks one rank per response, each in 0..size-1
     * @param comment optional
     */
    record Ranking(List<Integer> ranks, String comment) implements JudgementPayload {
        public Ranking {
            ranks = List.copyOf(ranks);
            if (ranks.size() < 2 || ranks.size() > 9) throw new IllegalArgumentException("a ranking needs 2..9 ranks, got " + ranks.size());
            for (int r : ranks)
                if (r < 0 || r >= ranks.size()) throw new IllegalArgumentException("rank " + r + " out of range 0.." + (ranks.size() - 1));
            comment = Validate.comment(comment);
        }

        public Ranking(List<Integer> ranks) { this(ranks, null); }

        @Override public JudgementKind kind() { return JudgementKind.RANKING; }

        @Override public Ranking inOrder(List<Long> fromOrder, List<Long> toOrder) {
            Orders.check(fromOrder, toOrder, ranks.size());
            List<Integer> out = new ArrayList<>(ranks.size());
            for (Long id : toOrder) out.add(ranks.get(fromOrder.indexOf(id)));
            return new Ranking(out, comment);
        }

        /** Ranks made dense (0, 1, 2 … with ties sharing a number), so equal orderings have equal labels. */
        public List<Integer> denseRanks() {
            List<Integer> distinct = ranks.stream().distinct().sorted().toList();
            return ranks.stream().map(distinct::indexOf).toList();
        }

        @Override public String label() {
            return String.join(",", denseRanks().stream().map(String::valueOf).toList());
        }
    }

    /**
     * A 1–7 Likert score with flags from the dataset's flag set.
     *
     * @param score 1 (very bad) .. 7 (excellent)
     * @param flags subset of the dataset's {@link DatasetSettings#ratingFlags()}
     * @param comment optional
     */
    record Rating(int score, Set<String> flags, String comment) implements JudgementPayload {
        public Rating {
            if (score < 1 || score > 7) throw new IllegalArgumentException("score must be 1..7, got " + score);
            flags = Set.copyOf(new LinkedHashSet<>(flags == null ? Set.of() : flags));
            comment = Validate.comment(comment);
        }

        public Rating(int score) { this(score, Set.of(), null); }

        @Override public JudgementKind kind() { return JudgementKind.RATING; }
        @Override public Rating inOrder(List<Long> fromOrder, List<Long> toOrder) { return this; }
        @Override public String label() { return String.valueOf(score); }
    }

    /**
     * The ideal response, written from scratch or edited from the shown response.
     *
     * @param text the demonstration, not blank
     * @param comment optional
     */
    record Demonstration(String text, String comment) implements JudgementPayload {
        public Demonstration {
            if (text == null || text.isBlank()) throw new IllegalArgumentException("demonstration text must not be blank");
            if (text.length() > 100_000) throw new IllegalArgumentException("demonstration is longer than 100000 characters");
            comment = Validate.comment(comment);
        }

        public Demonstration(String text) { this(text, null); }

        @Override public JudgementKind kind() { return JudgementKind.DEMONSTRATION; }
        @Override public Demonstration inOrder(List<Long> fromOrder, List<Long> toOrder) { return this; }
        @Override public String label() { return text; }
    }

    /** Checks for {@link #inOrder}. */
    final class Orders {
        private Orders() {}

        static void check(List<Long> from, List<Long> to, int size) {
            if (from.size() != size || to.size() != size || !Set.copyOf(from).equals(Set.copyOf(to)) || Set.copyOf(from).size() != size)
                throw new IllegalArgumentException("orders " + from + " and " + to + " are not permutations of " + size + " responses");
        }
    }
}
