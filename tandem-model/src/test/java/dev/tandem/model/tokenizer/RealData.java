package dev.tandem.model.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds real data under {@code $TANDEM_DATA_DIR} (default {@code ~/.cache/tandem}). Missing data
 * fails the test when {@code CI=true} and skips it otherwise.
 */
final class RealData {

    private RealData() {
    }

    static Path require(String relative) {
        String env = System.getenv("TANDEM_DATA_DIR");
        Path dir = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "tandem");
        Path file = dir.resolve(relative);
        if (!Files.isRegularFile(file)) {
            String message = "real data file " + file + " not found; set TANDEM_DATA_DIR to the shared data directory";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        return file;
    }

    static Path tok512() {
        return require("models/stories260K/tok512.bin");
    }
}
