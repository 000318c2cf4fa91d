package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Small models for tests, and access to the real data directory. */
final class TestModels {
    private TestModels() {}

    /** A tiny GQA config (4 query heads over 2 key/value heads) with an unshared classifier. */
    static LlamaConfig tiny() {
        return LlamaConfig.of(16, 40, 2, 4, 2, 37, 64, false);
    }

    static Llama random(long seed) {
        TensorEngine.start();
        Llama m = Llama.random(tiny(), seed, false);
        // N(0, 0.02) gives near-uniform outputs; scale weights up so tests see peaked, position-dependent logits.
        for (var e : m.parameters().entrySet()) {
            if (!e.getKey().endsWith("norm.weight")) {
                float[] v = e.getValue().toFloatArray();
                for (int i = 0; i < v.length; i++) v[i] *= 20f;
                e.getValue().set(v);
            }
        }
        return m;
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

    static void assertClose(float[] expected, float[] actual, float tol, String what) {
        if (expected.length != actual.length) fail(what + ": lengths " + expected.length + " vs " + actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= tol * (1 + Math.abs(expected[i])))) {
                fail(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i] + " (tol " + tol + ")");
            }
        }
    }
}
