package dev.tandem.reward;

import dev.tandem.feedback.JudgementPayload.Strength;
import dev.tandem.feedback.io.PreferenceRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One unit of the reward-model loss: the responses it scores (all replies to one prompt) and what people said
 * about them. Built from {@link PreferenceRecord}s by {@link #expand} according to a {@link LossConfig}.
 */
public sealed interface Comparison permits Comparison.Preferred, Comparison.Tie, Comparison.Ranking, Comparison.Rated {

    String prompt();

    /** The responses to score, in the order the loss reads their rewards. */
    List<String> responses();

    /** {@code responses = [chosen, rejected]}; {@code margin} is subtracted from the reward difference. */
    record Preferred(String prompt, String chosen, String rejected, double margin) implements Comparison {
        public Preferred {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(chosen, "chosen");
            Objects.requireNonNull(rejected, "rejected");
            if (!(margin >= 0) || !Double.isFinite(margin)) throw new IllegalArgumentException("margin must be >= 0");
        }

        @Override public List<String> responses() { return List.of(chosen, rejected); }
    }

    /** Two responses judged equally good. */
    record Tie(String prompt, String first, String second) implements Comparison {
        public Tie {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(first, "first");
            Objects.requireNonNull(second, "second");
        }

        @Override public List<String> responses() { return List.of(first, second); }
    }

    /** A ranking of K ≥ 2 responses for the Plackett-Luce loss: {@code ranks[i]}, 0 = best, equal = tied. */
    record Ranking(String prompt, List<String> responses, int[] ranks) implements Comparison {
        public Ranking {
            Objects.requireNonNull(prompt, "prompt");
            responses = List.copyOf(responses);
            ranks = ranks.clone();
            if (responses.size() < 2 || responses.size() != ranks.length) {
                throw new IllegalArgumentException("a ranking needs >= 2 responses and one rank each");
            }
        }

        @Override public boolean equals(Object o) {
            return o instanceof Ranking r && r.prompt.equals(prompt) && r.responses.equals(responses)
                    && Arrays.equals(r.ranks, ranks);
        }

        @Override public int hashCode() { return Objects.hash(prompt, responses, Arrays.hashCode(ranks)); }

        @Override public String toString() {
            return "Ranking[" + responses.size() + " responses, ranks " + Arrays.toString(ranks) + "]";
        }
    }

    /**
     * An absolute rating of one response on Tandem's 1..7 scale (a {@code Rating} judgement; several raters'
     * scores are averaged and rounded by the caller). Trained with a regression or an ordinal loss.
     */
    record Rated(String prompt, String response, int score) implements Comparison {
        public static final int MIN = 1, MAX = 7;

        public Rated {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(response, "response");
            if (score < MIN || score > MAX) throw new IllegalArgumentException("score must be in 1..7, got " + score);
        }

        @Override public List<String> responses() { return List.of(response); }
    }

    /** Comparisons of a data set, with the number of ties dropped. */
    record Expanded(List<Comparison> comparisons, int droppedTies) {}

    /**
     * Turns records into loss units: a pair becomes {@link Preferred} (with the strength's margin); a ranking of two
     * becomes {@link Preferred} or, when tied, a {@link Tie} (or is dropped); a longer ranking becomes one
     * {@link Ranking} (Plackett-Luce) or all its pairs (decisive ones {@link Preferred}, tied ones {@link Tie} or
     * dropped).
     */
    static Expanded expand(List<PreferenceRecord> records, LossConfig cfg) {
        List<Comparison> out = new ArrayList<>();
        int dropped = 0;
        boolean keepTies = cfg.ties() != LossConfig.TieModel.DROP;
        for (PreferenceRecord r : records) {
            if (r instanceof PreferenceRecord.Pair p) {
                out.add(new Preferred(p.prompt(), p.chosen(), p.rejected(), margin(p.strength(), cfg.marginScale())));
                continue;
            }
            PreferenceRecord.Ranked k = (PreferenceRecord.Ranked) r;
            int n = k.responses().size();
            int[] ranks = k.ranks().stream().mapToInt(Integer::intValue).toArray();
            boolean allTied = Arrays.stream(ranks).distinct().count() == 1;
            if (n > 2 && cfg.rankings() == LossConfig.RankingLoss.PLACKETT_LUCE) {
                if (allTied && !keepTies) dropped++;
                else out.add(new Ranking(k.prompt(), k.responses(), ranks));
                continue;
            }
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    String a = k.responses().get(i), b = k.responses().get(j);
                    if (a.equals(b)) continue;
                    if (ranks[i] == ranks[j]) {
                        if (keepTies) out.add(new Tie(k.prompt(), a, b));
                        else dropped++;
                    } else if (ranks[i] < ranks[j]) {
                        out.add(new Preferred(k.prompt(), a, b, 0));
                    } else {
                        out.add(new Preferred(k.prompt(), b, a, 0));
                    }
                }
            }
        }
        return new Expanded(out, dropped);
    }

    /** The margin of a preference strength: slightly 1/3, clearly 2/3, much 1, times {@code scale}; none → 0. */
    static double margin(Strength s, double scale) {
        if (s == null || scale == 0) return 0;
        return scale * switch (s) {
            case SLIGHTLY -> 1.0 / 3;
            case CLEARLY -> 2.0 / 3;
            case MUCH -> 1.0;
        };
    }
}
