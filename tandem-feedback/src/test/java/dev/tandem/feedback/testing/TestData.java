package dev.tandem.feedback.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the real data directory: env TANDEM_DATA_DIR, default ~/.cache/tandem. Missing data fails the test when
 * CI=true and skips it otherwise.
 */
public final class TestData {
    private TestData() {}

    public static Path dir() {
        String env = System.getenv("TANDEM_DATA_DIR");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "tandem");
    }

    /** A path under the data directory that must exist. */
    public static Path require(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.exists(p)) {
            String msg = "real data missing: " + p + " (set TANDEM_DATA_DIR to the shared data folder)";
            if ("true".equals(System.getenv("CI"))) fail(msg);
            Assumptions.abort(msg);
        }
        return p;
    }
}
