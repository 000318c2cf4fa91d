package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

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
    void helpListsTheLoopOptions() {
        CliTestSupport.Result r = CliTestSupport.run("serve", "--help");
        assertEquals(0, r.exitCode());
        for (String o : new String[] {"--loop", "--retrain-every", "--optimise-every", "--algo", "--db", "--port"}) {
            assertTrue(r.out().contains(o), o + " in\n" + r.out());
        }
    }
}
