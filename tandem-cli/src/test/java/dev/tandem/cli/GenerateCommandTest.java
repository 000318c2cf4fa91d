package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The acceptance test of the model core: greedy output of the real stories260K equals llama2.c's run.c byte for
 * byte. run.c's `-n N` counts positions from BOS; "Once upon a time" is BOS + 4 tokens, so -n 256 is
 * --max-new-tokens 252 and -n 512 is --max-new-tokens 507 (the model emits BOS, which ends generation, first).
 */
class GenerateCommandTest {

    @ParameterizedTest(name = "run.c -n {0} with the {2} sampler")
    @CsvSource({"256, 252, java", "512, 507, java", "256, 252, torch", "512, 507, torch"})
    void greedyOutputEqualsLlama2cByteForByte(int n, int maxNew, String sampler) throws IOException {
        Path golden = CliTestSupport.realData("models/stories260K/greedy-reference-" + n + ".txt");
        CliTestSupport.Result r = CliTestSupport.run("generate", "--model", "stories260K", "--prompt", "Once upon a time",
                "--temperature", "0", "--max-new-tokens", Integer.toString(maxNew), "--sampler", sampler);
        assertEquals(0, r.exitCode(), r.stderr());
        assertArrayEquals(Files.readAllBytes(golden), r.stdout(), "stdout differs from run.c's output");
    }

    @Test
    void samplingIsSeededAndPrintsEachSample() {
        CliTestSupport.realData("models/stories260K/stories260K.bin");
        String[] args = {"generate", "--prompt", "The cat", "--max-new-tokens", "30", "--seed", "3", "--num-samples", "3",
                "--top-p", "0.9"};
        CliTestSupport.Result a = CliTestSupport.run(args), b = CliTestSupport.run(args);
        assertEquals(0, a.exitCode(), a.stderr());
        assertEquals(a.out(), b.out(), "same seed, same text");
        String[] samples = a.out().split("\n\n");
        assertEquals(3, samples.length, a.out());
        for (String s : samples) assertTrue(s.startsWith("The cat"), s);
    }

    @Test
    void badInputGetsOneClearLine() {
        CliTestSupport.Result r = CliTestSupport.run("generate", "--model", "/no/such/model.bin");
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("error: model '/no/such/model.bin' is neither a known name"), r.stderr());
        CliTestSupport.realData("models/stories260K/stories260K.bin");
        r = CliTestSupport.run("generate", "--prompt", "x", "--max-new-tokens", "600");
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("exceeds the model's 512 positions"), r.stderr());
        r = CliTestSupport.run("generate", "--temperature", "-1");
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("temperature must be >= 0"), r.stderr());
    }

    @Test
    void benchGenerateEndsWithItsHeadline() {
        CliTestSupport.realData("models/stories260K/stories260K.bin");
        CliTestSupport.Result r = CliTestSupport.run("bench", "generate", "--batch", "4", "--new-tokens", "8", "--runs", "3",
                "--warmup", "1");
        assertEquals(0, r.exitCode(), r.stderr());
        String[] lines = r.out().split("\n");
        assertTrue(Pattern.matches("tokens/s: \\d+", lines[lines.length - 1]), r.out());
    }

    @Test
    void helpListsTheCommandsAndVersionPrints() {
        CliTestSupport.Result r = CliTestSupport.run("--help");
        assertEquals(0, r.exitCode());
        for (String cmd : new String[] {"generate", "bench"}) assertTrue(r.out().contains(cmd), r.out());
        r = CliTestSupport.run("--version");
        assertTrue(r.out().startsWith("tandem "), r.out());
    }
}
