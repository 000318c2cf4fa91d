package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.model.Models;
import dev.tandem.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO (value head on the trunk), GRPO, RLOO, DPO and SFT split their step over data-parallel shards; with one shard or two
 * (TANDEM_SHARDS, set per child JVM) a run logs the same metrics step for step, to float rounding: the parts are
 * weighted by their share of the response tokens or pairs, and DPO's reference log-probs are split the same way.
 */
class ShardedTrainingTest {

    @Test
    void oneShardAndTwoShardsTrainAlike(@TempDir Path tmp) throws Exception {
        TestData.stories260K();
        TestData.afinn();
        TestData.require("corpora/tinyshakespeare/input.txt");
        run(tmp.resolve("one"), 1, tmp);
        run(tmp.resolve("two"), 2, tmp);
        Map<String, List<String>> required = Map.of("ppo", List.of("loss/policy_avg", "loss/value_avg", "objective/kl",
                "policy/clipfrac_avg", "policy/approxkl_avg", "grad_norm"), "grpo", List.of("loss", "clip_ratio", "kl",
                "policy/approxkl_avg", "policy/entropy_avg", "grad_norm"), "rloo", List.of("loss", "clip_ratio",
                "policy/approxkl_avg", "grad_norm"), "dpo", List.of("loss", "rewards/accuracies",
                "rewards/margins", "logps/chosen", "grad_norm"), "sft", List.of("loss", "grad_norm"));
        for (String algorithm : List.of("ppo", "grpo", "rloo", "dpo", "sft")) {
            List<Map<String, Object>> one = MetricsLog.read(tmp.resolve("one").resolve(algorithm).resolve("metrics.jsonl"));
            List<Map<String, Object>> two = MetricsLog.read(tmp.resolve("two").resolve(algorithm).resolve("metrics.jsonl"));
            assertEquals(one.size(), two.size(), algorithm);
            Set<String> compared = new HashSet<>();
            for (int i = 0; i < one.size(); i++) {

                for (var e : one.get(i).entrySet()) {
                    String key = e.getKey();
                    if (key.startsWith("time/") || key.endsWith("per_second") || !(e.getValue() instanceof Number a)) continue;
                    double x = a.doubleValue(), y = ((Number) two.get(i).get(key)).doubleValue();
                    if (Double.isNaN(x)) {
                        assertTrue(Double.isNaN(y), algorithm + " line " + i + " " + key);
                        continue;
                    }
                    assertEquals(x, y, 2e-3 * Math.max(1, Math.abs(x)), algorithm + " line " + i + " " + key);
                    compared.add(key);
                }
            }
            assertTrue(compared.containsAll(required.get(algorithm)), algorithm + " compared only " + compared);
        }
        // the loss moved, so there was something to compare
        List<Double> dpo = MetricsLog.read(tmp.resolve("one").resolve("dpo").resolve("metrics.jsonl")).stream()
                .filter(l -> l.get("loss") instanceof Number).map(l -> ((Number) l.get("loss")).doubleValue()).toList();
        double first = dpo.get(0), last = dpo.get(dpo.size() - 1);
        assertTrue(Math.abs(first - last) > 1e-3, "DPO loss did not move: " + first + " -> " + last);
    }

    private static void run(Path out, int shards, Path tmp) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = tmp.resolve("child-" + shards + ".log");
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-cp", System.getProperty("java.class.path"), ShardsChild.class.getName(),
                out.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("TANDEM_DATA_DIR", Models.dataDir().toString());
        pb.environment().put("TANDEM_SHARDS", Integer.toString(shards));
        pb.environment().put("TANDEM_THREADS", "2");
        Process child = pb.start();
        if (!child.waitFor(4, TimeUnit.MINUTES)) {
            child.destroyForcibly();
            throw new AssertionError("child with " + shards + " shards too slow: " + Files.readString(log));
        }
        assertEquals(0, child.exitValue(), () -> "child with " + shards + " shards failed: " + read(log));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
