package dev.tandem.loop;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tandem.model.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Real data for the loop's tests: missing data fails under CI=true and skips the test otherwise. */
final class LoopTestData {
    private LoopTestData() {}

    static Path require(String relative) {
        Path p = Models.dataDir().resolve(relative);
        if (!Files.exists(p)) {
            String message = "real data " + p + " not found; set TANDEM_DATA_DIR to the shared data directory";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            Assumptions.abort(message);
        }
        return p;
    }

    /** The model and the lexicons the demo needs. */
    static void demoData() {
        require("models/stories260K/stories260K.bin");
        require("models/stories260K/tok512.bin");
        require("lexicons/vader/vader_lexicon.txt");
    }
}
