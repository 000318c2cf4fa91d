package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tandem.model.Models;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Runs the tandem command in-process and captures what it prints. */
final class CliTestSupport {
    private CliTestSupport() {}

    record Result(int exitCode, byte[] stdout, String stderr) {
        String out() { return new String(stdout, java.nio.charset.StandardCharsets.UTF_8); }
    }

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            var cli = Main.commandLine();
            cli.setOut(new java.io.PrintWriter(System.out, true));
            cli.setErr(new java.io.PrintWriter(System.err, true));
            int code = cli.execute(args);
            System.out.flush();
            return new Result(code, out.toByteArray(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A file under the data directory: missing data fails under CI=true and skips the test otherwise. */
    static Path realData(String relative) {
        Path file = Models.dataDir().resolve(relative);
        if (!Files.isRegularFile(file)) {
            String message = "real data file " + file + " not found; set TANDEM_DATA_DIR to the shared data directory";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            Assumptions.abort(message);
        }
        return file;
    }
}
