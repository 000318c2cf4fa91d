package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.reward.RewardModel;
import dev.tandem.rl.rewards.Afinn;
import dev.tandem.rl.rewards.BuiltinRewards;
import dev.tandem.rl.rewards.LengthReward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The programmatic rewards on the real AFINN lexicon, with scores looked up by hand. */
class RewardsTest {

    @Test
    void sentimentSumsWordScoresLongestPhraseFirst() throws IOException {
        Afinn afinn = Afinn.load(TestData.afinn());
        assertEquals(3382, afinn.size());
        // AFINN-165: "no fun" −3 (a phrase, taking precedence over no −1 and fun 4), cool 1, happy 3 → 1
        assertEquals(1, afinn.score("It was no fun, but the cool dog was HAPPY."));
        // without the phrase: no −1 ... fun 4 → 3; sad −2, smile 2 → 0; words outside the lexicon count 0
        assertEquals(3, afinn.score("no, it was fun"));
        assertEquals(0, afinn.score("Lily was sad, then she saw a smile."));
        assertEquals(0, afinn.score(""));
    }

    @Test
    void builtinRewardsAreProgrammaticAndNamed() throws IOException {
        TestData.afinn();
        try (RewardModel s = BuiltinRewards.resolve("builtin:sentiment", dev.tandem.model.Models.dataDir());
                RewardModel l = BuiltinRewards.resolve("builtin:length:4", dev.tandem.model.Models.dataDir())) {
            assertTrue(s.programmatic());
            assertTrue(l.programmatic());
            assertEquals("builtin:sentiment", s.name());
            // happy 3 + love 3 = 6; "sad" −2
            assertArrayEquals(new float[] {6, -2}, s.score(List.of("p", "q"), List.of("happy love", "so sad")));
            // 1 − |n − 4|/4 for 4, 2 and 10 words: 1, 0.5, −0.5
            assertArrayEquals(new float[] {1f, 0.5f, -0.5f}, l.score(List.of("", "", ""),
                    List.of("one two three four", "one two", "a b c d e f g h i j")), 1e-6f);
        }
        assertThrows(IllegalArgumentException.class, () -> BuiltinRewards.resolve("builtin:toxicity", Path.of(".")));
        assertThrows(IllegalArgumentException.class, () -> new LengthReward(0));
    }

    @Test
    void malformedLexiconNamesFileAndLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("lex.txt");
        Files.writeString(f, "good\t3\nbad\tminus two\n");
        IOException e = assertThrows(IOException.class, () -> Afinn.load(f));
        assertTrue(e.getMessage().contains("lex.txt:2"), e.getMessage());
        assertTrue(e.getMessage().contains("score"), e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> Afinn.load(dir.resolve("nope.txt")));
        assertTrue(missing.getMessage().contains("TANDEM_DATA_DIR"), missing.getMessage());
    }
}
