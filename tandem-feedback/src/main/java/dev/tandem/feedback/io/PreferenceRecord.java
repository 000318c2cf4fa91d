package dev.tandem.feedback.io;

import dev.tandem.feedback.JudgementPayload.Strength;
import java.util.List;
import java.util.Objects;

/**
 * One labelled preference read from a file: either a chosen/rejected pair or a ranking of several responses.
 * Produced by the streaming readers of {@link PreferenceFormat}; used by the importer and by reward-model training.
 */
public sealed interface PreferenceRecord permits PreferenceRecord.Pair, PreferenceRecord.Ranked {

    /** The prompt (for conversations, the transcript up to the judged reply). */
    String prompt();

    /** A grouping key such as the debate or the OASST tree id, or null. */
    String groupKey();

    /** File, line and item it was read from. */
    SourceRef source();

    /**
     * A pair: {@code chosen} was preferred over {@code rejected}.
     *
     * @param strength how much better, when the source says; otherwise null
     */
    record Pair(String prompt, String chosen, String rejected, Strength strength, String groupKey, SourceRef source)
            implements PreferenceRecord {
        public Pair {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(chosen, "chosen");
            Objects.requireNonNull(rejected, "rejected");
            Objects.requireNonNull(source, "source");
        }
    }

    /**
     * A ranking: {@code ranks.get(i)} is the rank of {@code responses.get(i)}, 0 = best, equal ranks are ties.
     * Ranks are dense (0, 1, 2, … without gaps).
     */
    record Ranked(String prompt, List<String> responses, List<Integer> ranks, String groupKey, SourceRef source)
            implements PreferenceRecord {
        public Ranked {
            Objects.requireNonNull(prompt, "prompt");
            responses = List.copyOf(responses);
            ranks = List.copyOf(ranks);
            Objects.requireNonNull(source, "source");
            if (responses.size() != ranks.size()) throw new IllegalArgumentException("responses and ranks differ in length");
            if (responses.size() < 2) throw new IllegalArgumentException("a ranking needs at least two responses");
        }

        /** The pairs implied by the ranking: every (better, worse) with different ranks, as chosen/rejected. */
        public List<Pair> pairs() {
            List<Pair> out = new java.util.ArrayList<>();
            for (int i = 0; i < responses.size(); i++)
                for (int j = 0; j < responses.size(); j++)
                    if (i < j && ranks.get(i) != ranks.get(j).intValue()) {
                        boolean iBetter = ranks.get(i) < ranks.get(j);
                        out.add(new Pair(prompt, responses.get(iBetter ? i : j), responses.get(iBetter ? j : i), null, groupKey, source));
                    }
            return out;
        }
    }

    /** Makes ranks dense while keeping their order: {@code [0, 2, 2, 5] -> [0, 1, 1, 2]}. */
    static List<Integer> denseRanks(List<Integer> ranks) {
        List<Integer> distinct = ranks.stream().distinct().sorted().toList();
        return ranks.stream().map(distinct::indexOf).toList();
    }
}
