package dev.tandem.feedback.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A word-valence lexicon: AFINN ({@code word<TAB>score}, −5…+5) or VADER ({@code token<TAB>mean<TAB>std<TAB>[…]},
 * −4…+4). Multi-word AFINN entries are ignored: texts are scored word by word.
 */
public final class Lexicon {
    private static final Pattern WORD = Pattern.compile("[a-z']+");
    private final Map<String, Float> valence;
    private final String name;

    private Lexicon(String name, Map<String, Float> valence) {
        this.name = name;
        this.valence = Map.copyOf(valence);
        if (this.valence.isEmpty()) throw new IllegalArgumentException("lexicon " + name + " is empty");
    }

    /** Reads AFINN-165 or a VADER lexicon (told apart by the number of columns); errors name file and line. */
    public static Lexicon load(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Map<String, Float> v = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            String[] cols = line.split("\t");
            if (cols.length < 2) throw new IOException(file + ":" + (i + 1) + ": expected word<TAB>score, got '" + line + "'");
            try {
                if (!cols[0].contains(" ")) v.put(cols[0].toLowerCase(Locale.ROOT), Float.parseFloat(cols[1].trim()));
            } catch (NumberFormatException e) {
                throw new IOException(file + ":" + (i + 1) + ": score '" + cols[1] + "' is not a number", e);
            }
        }
        return new Lexicon(file.getFileName().toString(), v);
    }

    public static Lexicon of(String name, Map<String, Float> valence) {
        return new Lexicon(name, valence);
    }

    public String name() { return name; }

    /** The valence of a word, 0 when the lexicon does not know it. */
    public float valence(String word) {
        return valence.getOrDefault(word.toLowerCase(Locale.ROOT), 0f);
    }

    /** Lower-case words of a text. */
    public static List<String> words(String text) {
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) out.add(m.group());
        return out;
    }

    /** Summed valence of a text's words. */
    public float sum(String text) {
        float s = 0;
        for (String w : words(text)) s += valence(w);
        return s;
    }
}
