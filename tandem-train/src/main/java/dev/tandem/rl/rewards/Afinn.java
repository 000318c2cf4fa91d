package dev.tandem.rl.rewards;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The AFINN sentiment lexicon (Nielsen 2011): {@code word<TAB>score} lines, scores −5…+5, including a few
 * multi-word phrases ("does not work", "cool stuff"). Text is scored by summing the scores of its words, matching the
 * longest phrase first.
 */
public final class Afinn {
    /** Where the lexicon lives under the data directory. */
    public static final String RELATIVE_PATH = "lexicons/afinn/AFINN-en-165.txt";

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N}'’-]*");

    private final Map<String, Integer> scores;
    private final int longestPhrase;

    private Afinn(Map<String, Integer> scores, int longestPhrase) {
        this.scores = Map.copyOf(scores);
        this.longestPhrase = longestPhrase;
    }

    /** Reads a lexicon file; malformed lines are reported with file and line number. */
    public static Afinn load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "AFINN lexicon not found; set TANDEM_DATA_DIR to the data directory holding " + RELATIVE_PATH);
        }
        Map<String, Integer> scores = new HashMap<>();
        int longest = 1;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                int tab = line.lastIndexOf('\t');
                if (tab <= 0) throw new IOException(file + ":" + n + ": expected 'word<TAB>score', got '" + line + "'");
                String word = line.substring(0, tab).strip().toLowerCase(Locale.ROOT);
                int score;
                try {
                    score = Integer.parseInt(line.substring(tab + 1).strip());
                } catch (NumberFormatException e) {
                    throw new IOException(file + ":" + n + ": field 'score': not an integer: '" + line.substring(tab + 1) + "'");
                }
                if (score < -5 || score > 5) throw new IOException(file + ":" + n + ": field 'score': " + score + " outside -5..5");
                scores.put(word, score);
                longest = Math.max(longest, word.split(" ").length);
            }
        }
        if (scores.isEmpty()) throw new IOException(file + ": no entries");
        return new Afinn(scores, longest);
    }

    /** The lowercased words of a text, as the lexicon spells them (curly apostrophes made straight). */
    public static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT).replace('’', '\''));
        while (m.find()) {
            String w = m.group();
            while (w.endsWith("'") || w.endsWith("-")) w = w.substring(0, w.length() - 1);
            if (!w.isEmpty()) words.add(w);
        }
        return words;
    }

    /** Sum of the scores of the words of {@code text}, longest phrase first. */
    public int score(String text) {
        List<String> w = words(text);
        int total = 0;
        for (int i = 0; i < w.size(); ) {
            int matched = 0;
            for (int len = Math.min(longestPhrase, w.size() - i); len >= 1 && matched == 0; len--) {
                Integer s = scores.get(len == 1 ? w.get(i) : String.join(" ", w.subList(i, i + len)));
                if (s != null) {
                    total += s;
                    matched = len;
                }
            }
            i += Math.max(matched, 1);
        }
        return total;
    }

    /** The score of one word or phrase, or null when it is not in the lexicon. */
    public Integer lookup(String wordOrPhrase) {
        return scores.get(wordOrPhrase.toLowerCase(Locale.ROOT));
    }

    public int size() { return scores.size(); }
}
