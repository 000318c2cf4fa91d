package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tandem.model.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Real data for reward tests: missing data fails under CI=true and skips the test otherwise. */
final class TestData {
    private TestData() {}

    static Path realData(String relative) {
        Path p = Models.dataDir().resolve(relative);
        if (!Files.exists(p)) {
            String message = "real data " + p + " not found; set TANDEM_DATA_DIR to the shared data directory";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            Assumptions.abort(message);
        }
        return p;
    }

    static Path ukp() { return realData("preferences/ukpconvarg1"); }

    static Path hh() { return realData("preferences/hh-rlhf/harmless-base-test.jsonl.gz"); }

    static Path oasst() { return realData("preferences/oasst/en_100_tree.jsonl"); }

    static Path stories260K() {
        realData("models/stories260K/stories260K.bin");
        return realData("models/stories260K/tok512.bin");
    }
}
