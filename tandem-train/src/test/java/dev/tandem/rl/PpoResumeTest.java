package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.Models;
import dev.tandem.reward.RewardModel;
import dev.tandem.train.MetricsLog;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault test: a PPO run in a child JVM is killed (SIGKILL) mid-way; {@code --resume} continues from its last
 * checkpoint — policy, separate value model, both optimizers, adaptive β, reward statistics, step counter — and ends
 * at the same metrics as an uninterrupted run with the same seed.
 */
class PpoResumeTest {

    /** Every piece of state a resume must restore is in play: separate value model, adaptive β, reward norm. */
    static PpoConfig config() {
        return PpoConfig.builder().steps(4).batchSize(16).maxNewTokens(16).learningRate(3e-4f).klCoef(0.1f)
                .targetKl(2f).klHorizon(200f).normalizeRewards(true).rewardClip(3f)
                .valueHead(PpoConfig.ValueHead.SEPARATE).epochs(2).minibatches(2).seed(7).checkpointEvery(2)
                .sampleEvery(1).samplesPerLog(2).build();
    }

    @Test
    void killedRunResumesToTheSameMetrics(@TempDir Path tmp) throws Exception {
        TestData.stories260K();
        TestData.afinn();
        Path killed = tmp.resolve("killed");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-cp", System.getProperty("java.class.path"),
                PpoResumeChild.class.getName(), killed.toString(), "400")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
        pb.environment().put("TANDEM_DATA_DIR", Models.dataDir().toString());
        Process child = pb.start();
        Path metrics = killed.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        try {
            // wait until step 3 is logged: step 2 is checkpointed, step 3 is not
            while (lines(metrics) < 3) {
                assertTrue(child.isAlive(), () -> "child died early: " + read(tmp.resolve("child.log")));
                assertTrue(System.nanoTime() < deadline, "child too slow");
                Thread.sleep(20);
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        int loggedAtKill = lines(metrics);
        assertTrue(loggedAtKill < 4, "the child must be killed before it finishes, it logged " + loggedAtKill);
        assertFalse(Files.exists(killed.resolve("final")));
        assertTrue(Files.isDirectory(killed.resolve("checkpoints/step-000002")));

        PpoConfig cfg = config();
        List<Map<String, Double>> resumedSteps = new ArrayList<>();
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel r = RlFixtures.sentiment();
                PpoTrainer t = new PpoTrainer(cfg, m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
            t.train(killed, RlFixtures.spec("ppo", cfg), true, s -> resumedSteps.add(s.metrics()));
        }
        assertEquals(2, 4 - resumedSteps.size(), "resumes after the last checkpoint, step 2");

        Path straight = tmp.resolve("straight");
        try (Models.Loaded m = RlFixtures.stories260K(); RewardModel r = RlFixtures.sentiment();
                PpoTrainer t = new PpoTrainer(cfg, m.model(), m.tokenizer(), m.tokenizerFile(), r, Prompts.STORY_OPENINGS)) {
            t.train(straight, RlFixtures.spec("ppo", cfg), false, null);
        }
        List<Map<String, Object>> a = MetricsLog.read(killed.resolve("metrics.jsonl"));
        List<Map<String, Object>> b = MetricsLog.read(straight.resolve("metrics.jsonl"));
        assertEquals(4, a.size(), "one line per step after the resume (the killed run's unsaved step dropped)");
        assertEquals(4, b.size());
        int compared = 0;
        for (int i = 0; i < 4; i++) {
            assertEquals(((Number) b.get(i).get("step")).longValue(), ((Number) a.get(i).get("step")).longValue());
            for (var e : b.get(i).entrySet()) {
                if (e.getKey().startsWith("time/") || !(e.getValue() instanceof Number expected)) continue;
                double got = ((Number) a.get(i).get(e.getKey())).doubleValue();
                assertEquals(expected.doubleValue(), got, 1e-4 * (1 + Math.abs(expected.doubleValue())),
                        "step " + (i + 1) + " " + e.getKey());
                compared++;
            }
        }
        assertTrue(compared > 80, "compared " + compared);
        assertEquals(read(straight.resolve("samples.jsonl")).lines().count(), read(killed.resolve("samples.jsonl")).lines().count());
        assertTrue(Files.isDirectory(killed.resolve("final")));
    }

    static int lines(Path p) throws Exception {
        if (!Files.exists(p)) return 0;
        return (int) Files.readAllLines(p).stream().filter(l -> l.endsWith("}")).count();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "(unreadable: " + e + ")";
        }
    }

    @SuppressWarnings("unused")
    private static final String SEP = File.pathSeparator;
}
