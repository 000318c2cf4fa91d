package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tandem.model.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Real data for tests: missing data fails when CI=true and skips the test otherwise. */
final class TestData {
    private TestData() {}

    static Path require(String relative) {
        Path p = Models.dataDir().resolve(relative);
        if (!Files.exists(p)) {
            String message = "real data " + p + " not found; set TANDEM_DATA_DIR to the shared data directory";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            Assumptions.abort(message);
        }
        return p;
    }

    static Path stories260K() {
        require("models/stories260K/tok512.bin");
        return require("models/stories260K/stories260K.bin");
    }

    static Path afinn() {
        return require("lexicons/afinn/AFINN-en-165.txt");
    }
}
