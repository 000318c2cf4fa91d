package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem serve}'s option checks (the server and the loop themselves are tested over HTTP in tandem-server). */
class ServeCommandTest {
    @Test
    void loopOptionsWithoutLoopAreRefused() {
        for (String[] args : new String[][] {{"serve", "--retrain-every", "5"}, {"serve", "--algo", "dpo"},
                {"serve", "--prompts", "p.txt"}}) {
            CliTestSupport.Result r = CliTestSupport.run(args);
            assertEquals(2, r.exitCode(), r.stderr());
            assertTrue(r.stderr().contains(args[1] + " needs --loop DIR"), r.stderr());
            assertEquals(0, r.stdout().length, "nothing on stdout");
        }
    }

    @Test
    void badPromptFilesAreClearErrors(@TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("none.txt"), empty = tmp.resolve("empty.txt"), binary = tmp.resolve("bin.txt");
        Files.writeString(empty, "\n  \n");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 'x'});
        String db = tmp.resolve("feedback.db").toString();
        for (var c : Map.of(missing, "no such file", empty, "has no prompt", binary, "not UTF-8").entrySet()) {
            CliTestSupport.Result r = CliTestSupport.run("serve", "--db", db, "--port", "0", "--loop",
                    tmp.resolve("loop").toString(), "--prompts", c.getKey().toString());
            assertEquals(2, r.exitCode(), r.stderr());
            assertTrue(r.stderr().contains(c.getValue()), r.stderr());
        }
    }

    @Test
    void helpListsTheLoopOptions() {
        CliTestSupport.Result r = CliTestSupport.run("serve", "--help");
        assertEquals(0, r.exitCode());
        for (String o : new String[] {"--loop", "--retrain-every", "--optimise-every", "--algo", "--db", "--port"}) {
            assertTrue(r.out().contains(o), o + " in\n" + r.out());
        }
    }
}
