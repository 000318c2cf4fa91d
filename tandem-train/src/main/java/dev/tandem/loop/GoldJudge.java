package dev.tandem.loop;

import dev.tandem.feedback.sim.GoldPreference;
import dev.tandem.feedback.sim.Lexicon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The hidden gold preference of the simulated annotator, used for EVALUATION and reporting only: the reward model
 * and the policy never see these scores, only the simulated annotator's comparisons read back from the store.
 */
public final class GoldJudge {
    private final GoldPreference gold;
    private final String lexicon;

    public GoldJudge(GoldPreference gold, String lexicon) {
        this.gold = gold;
        this.lexicon = lexicon;
    }

    /** {@code happyAndVaried} over the AFINN or VADER lexicon in {@code dataDir/lexicons}. */
    public static GoldJudge load(Path dataDir, String lexicon) throws IOException {
        Path file = switch (lexicon) {
            case "afinn" -> dataDir.resolve("lexicons/afinn/AFINN-en-165.txt");
            case "vader" -> dataDir.resolve("lexicons/vader/vader_lexicon.txt");
            default -> throw new IllegalArgumentException("unknown lexicon '" + lexicon + "' (afinn or vader)");
        };
        if (!Files.isRegularFile(file)) {
            throw new IOException("the simulated annotator needs the " + lexicon + " lexicon at " + file
                    + "; set TANDEM_DATA_DIR to the data directory");
        }
        return new GoldJudge(GoldPreference.happyAndVaried(Lexicon.load(file)), lexicon);
    }

    public GoldPreference preference() { return gold; }

    public String lexicon() { return lexicon; }

    public double score(String text) { return gold.score(text); }

    public double[] scores(List<String> texts) {
        double[] s = new double[texts.size()];
        for (int i = 0; i < s.length; i++) s[i] = gold.score(texts.get(i));
        return s;
    }

    /** A one-line description for reports. */
    public String describe() {
        return "happier stories with less repetition: " + gold.sentimentWeight() + " × " + lexicon
                + " valence / √(words + 1) − " + gold.repetitionWeight() + " × share of repeated word bigrams";
    }
}
