package dev.tandem.feedback.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedAnnotatorTest {
    @TempDir Path tmp;
    static final Lexicon TOY = Lexicon.of("toy", Map.of("happy", 3f, "sad", -2f, "fun", 2f));

    @Test
    void goldScoreByHand() {
        GoldPreference g = new GoldPreference(TOY, 1f, 4f);
        // "the happy dog had fun": valence 3 + 2 = 5 over sqrt(5 + 1); no repeated bigram
        assertEquals(5 / Math.sqrt(6), g.score("The happy dog had fun."), 1e-9);
        // "sad sad sad sad": valence -8 / sqrt(5); bigrams (sad sad) ×3, two of them repeats → 2/3
        assertEquals(-8 / Math.sqrt(5) - 4 * (2.0 / 3), g.score("sad sad sad sad"), 1e-9);
        assertEquals(0, GoldPreference.repeatedBigrams(List.of("one")));
        assertEquals(0, g.score(""), 1e-12);
    }

    @Test
    void comparisonsFollowBradleyTerryWithSlips() {
        GoldPreference g = new GoldPreference(TOY, 1f, 0f);
        String better = "happy fun happy", worse = "sad story";
        double expectedP = 1 / (1 + Math.exp(-(g.score(better) - g.score(worse)) / 0.5));
        SimulatedAnnotator clean = new SimulatedAnnotator(g, 0.5, 0.0, 1);
        SimulatedAnnotator sloppy = new SimulatedAnnotator(g, 0.5, 0.2, 1);
        int n = 20000, cleanWins = 0, sloppyWins = 0;
        for (int i = 0; i < n; i++) {
            SimulatedAnnotator.Verdict v = clean.compare(better, worse);
            assertEquals(expectedP, v.probabilityFirst(), 1e-12);
            if (v.firstWins()) cleanWins++;
            if (sloppy.compare(better, worse).firstWins()) sloppyWins++;
        }
        assertEquals(expectedP, cleanWins / (double) n, 0.01);
        assertEquals(expectedP * 0.8 + (1 - expectedP) * 0.2, sloppyWins / (double) n, 0.01);
        // same seed, same verdicts
        SimulatedAnnotator x = new SimulatedAnnotator(g, 0.5, 0.1, 9), y = new SimulatedAnnotator(g, 0.5, 0.1, 9);
        for (int i = 0; i < 100; i++) assertEquals(x.compare(better, worse).firstWins(), y.compare(better, worse).firstWins());
        assertThrows(IllegalArgumentException.class, () -> new SimulatedAnnotator(g, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new SimulatedAnnotator(g, 1, 0.7, 1));
    }

    @Test
    void readsTheRealLexiconsAndRejectsBrokenOnes() throws IOException {
        String env = System.getenv("TANDEM_DATA_DIR");
        Path dir = env == null ? Path.of(System.getProperty("user.home"), ".cache", "tandem") : Path.of(env);
        Path afinn = dir.resolve("lexicons/afinn/AFINN-en-165.txt"), vader = dir.resolve("lexicons/vader/vader_lexicon.txt");
        if (!Files.isRegularFile(afinn) || !Files.isRegularFile(vader)) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError("lexicons missing under " + dir);
            Assumptions.abort("lexicons missing under " + dir);
        }
        Lexicon a = Lexicon.load(afinn), v = Lexicon.load(vader);
        assertEquals(3f, a.valence("happy"));
        assertEquals(-2f, a.valence("abandon"));
        assertTrue(v.valence("happy") > 2f);
        GoldPreference g = GoldPreference.happyAndVaried(a);
        assertTrue(g.score("Lily was happy. She loved to play with her friends and they had fun.")
                > g.score("Lily was sad. She was sad and she cried and she was sad."));
        Path bad = Files.writeString(tmp.resolve("bad.txt"), "good\t2\nbad\tnot-a-number\n");
        IOException e = assertThrows(IOException.class, () -> Lexicon.load(bad));
        assertTrue(e.getMessage().contains("bad.txt:2: score 'not-a-number' is not a number"), e.getMessage());
    }
}
