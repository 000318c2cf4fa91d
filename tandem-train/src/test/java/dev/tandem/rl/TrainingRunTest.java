package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.Checkpoint;
import dev.tandem.model.Llama;
import dev.tandem.model.LlamaConfig;
import dev.tandem.model.TensorEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Run directories: refusal to overwrite, resume checks, atomic and pruned checkpoints, truncated logs. */
class TrainingRunTest {
    static final LlamaConfig TINY = LlamaConfig.of(16, 32, 1, 2, 2, 40, 32, true);

    record Spec(String algorithm, Map<String, Object> config) {}

    static Spec spec(int steps, float lr) {
        return new Spec("ppo", Map.of("steps", steps, "learningRate", lr, "seed", 3));
    }

    @Test
    void freshRunsRefuseAnExistingRunAndResumeChecksTheConfig(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("r");
        try (TrainingRun tr = TrainingRun.open(run, spec(10, 1e-3f), false, 2)) {
            tr.metrics().log(1, Map.of("loss", 1.0));
        }
        IOException exists = assertThrows(IOException.class, () -> TrainingRun.open(run, spec(10, 1e-3f), false, 2));
        assertTrue(exists.getMessage().contains("--resume"), exists.getMessage());
        IOException changed = assertThrows(IOException.class, () -> TrainingRun.open(run, spec(10, 2e-3f), true, 2));
        assertTrue(changed.getMessage().contains("config.learningRate: was 0.001"), changed.getMessage());
        // more steps is fine; with no checkpoint yet the resume starts over and drops the logged steps
        try (TrainingRun tr = TrainingRun.open(run, spec(20, 1e-3f), true, 2)) {
            assertEquals(0, tr.resumedStep());
        }
        assertEquals(0, Files.readAllLines(run.resolve("metrics.jsonl")).size());
        assertTrue(Files.readString(run.resolve("config.json")).contains("20"));
        IOException none = assertThrows(IOException.class, () -> TrainingRun.open(dir.resolve("nothing"), spec(1, 1f), true, 2));
        assertTrue(none.getMessage().contains("nothing to resume"), none.getMessage());
    }

    @Test
    void checkpointsAreCompletePrunedAndResumable(@TempDir Path dir) throws IOException {
        TensorEngine.start();
        Path run = dir.resolve("r");
        try (Llama policy = Llama.random(TINY, 1, true); Llama value = Llama.random(TINY, 2, true)) {
            try (TrainingRun tr = TrainingRun.open(run, spec(10, 1e-3f), false, 2)) {
                for (long step = 1; step <= 5; step++) {
                    tr.metrics().log(step, Map.of("loss", 1.0 / step));
                    tr.sample(step, TrainingRun.JSON.createObjectNode().put("prompt", "p" + step));
                    if (step % 2 == 0) {
                        var state = TrainingRun.JSON.createObjectNode().put("algorithm", "ppo").put("beta", 0.1 * step);
                        tr.checkpoint(step, policy, null, null, new TrainingRun.State(state, Map.of("value", value),
                                Map.of("policy", Map.of("m.0", new float[] {1, 2, (float) step}, "t", new float[] {0, 3}))));
                    }
                }
            }
            // a half-written checkpoint from a kill is ignored
            Files.createDirectories(run.resolve("checkpoints/.step-6.partial-x"));
            try (TrainingRun tr = TrainingRun.open(run, spec(10, 1e-3f), true, 2)) {
                assertEquals(4, tr.resumedStep());
                Path ckpt = tr.resumeFrom().orElseThrow();
                assertEquals(run.resolve("checkpoints/step-000004"), ckpt);
                TrainingRun.State s = TrainingRun.load(ckpt, List.of("value"));
                assertEquals(0.4, s.trainer().path("beta").asDouble(), 1e-12);
                assertEquals(4, s.trainer().path("step").asLong());
                assertArrayEquals(new float[] {1, 2, 4}, s.optimizers().get("policy").get("m.0"));
                assertArrayEquals(value.parameters().get("norm.weight").toFloatArray(),
                        s.models().get("value").parameters().get("norm.weight").toFloatArray());
                s.models().values().forEach(Llama::close);
                // the checkpoint is itself a loadable policy
                try (Llama p = Checkpoint.load(ckpt)) {
                    assertArrayEquals(policy.parameters().get("tok_embeddings.weight").toFloatArray(),
                            p.parameters().get("tok_embeddings.weight").toFloatArray());
                }
            }
            // only the newest two remain; logs lost what came after step 4
            try (var s = Files.list(run.resolve("checkpoints"))) {
                assertEquals(List.of("step-000002", "step-000004"), s.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("step-")).sorted().toList());
            }
            assertEquals(4, Files.readAllLines(run.resolve("metrics.jsonl")).size());
            assertEquals(4, Files.readAllLines(run.resolve("samples.jsonl")).size());
        }
    }
}
