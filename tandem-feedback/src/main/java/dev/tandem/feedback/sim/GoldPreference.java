package dev.tandem.feedback.sim;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The hidden "gold" preference of the simulated annotator: happier stories with less repetition.
 *
 * <pre>
 *   gold(text) = sentimentWeight · valence(text) / sqrt(words + 1)  −  repetitionWeight · repeatedBigrams(text)
 * </pre>
 *
 * where valence sums the lexicon's word scores (dividing by sqrt(words) rewards a happy story without making length
 * itself the goal) and repeatedBigrams is the fraction of word bigrams that already occurred earlier in the text.
 * The reward model and the policy never see this score, only comparisons drawn from it.
 */
public record GoldPreference(Lexicon lexicon, float sentimentWeight, float repetitionWeight) {

    public GoldPreference {
        if (!(sentimentWeight >= 0) || !(repetitionWeight >= 0)) {
            throw new IllegalArgumentException("weights must be >= 0");
        }
    }

    public static GoldPreference happyAndVaried(Lexicon lexicon) {
        return new GoldPreference(lexicon, 1f, 4f);
    }

    public double score(String text) {
        List<String> words = Lexicon.words(text);
        double valence = 0;
        for (String w : words) valence += lexicon.valence(w);
        return sentimentWeight * valence / Math.sqrt(words.size() + 1) - repetitionWeight * repeatedBigrams(words);
    }

    /** Fraction of word bigrams that repeat an earlier bigram of the same text (0 for fewer than two words). */
    public static double repeatedBigrams(List<String> words) {
        if (words.size() < 2) return 0;
        Set<String> seen = new HashSet<>();
        int repeats = 0;
        for (int i = 0; i + 1 < words.size(); i++) {
            if (!seen.add(words.get(i) + ' ' + words.get(i + 1))) repeats++;
        }
        return repeats / (double) (words.size() - 1);
    }
}
