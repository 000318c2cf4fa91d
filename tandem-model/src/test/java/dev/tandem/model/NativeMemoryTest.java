package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A long generation loop must not grow native memory: every per-call NDManager is closed. */
class NativeMemoryTest {
    @Test
    void manyBatchesLeaveNoArraysBehindAndRssFlat() throws IOException {
        try (Llama model = TestModels.random(4)) {
            BaseNDManager m = (BaseNDManager) model.manager();
            int before = m.getManagedArrays().size();
            int[][] prompts = {{1, 2, 3}, {1, 5}, {1, 7, 8, 9}, {1}};
            SamplingConfig cfg = new SamplingConfig(1f, 0, 1f, 24, 1, false);
            TorchSampler sampler = new TorchSampler(model, new int[] {2}, 0);
            // RSS climbs while libtorch's allocator and the JIT warm up, then must stay flat
            long[] rss = new long[5];
            for (int phase = 0; phase < rss.length; phase++) {
                for (int i = 0; i < 40; i++) {
                    sampler.generate(prompts, cfg.withSeed(i));
                    Scoring.score(model, prompts, new int[][] {{4}, {5, 6}, {7}, {8, 9, 10}}, 1f, 0);
                }
                rss[phase] = rssKb();
            }
            assertEquals(before, m.getManagedArrays().size(), "arrays left attached to the model's manager");
            // a phase runs ~1,000 forward passes of ~200 arrays (~1 kB each with their native headers): leaking one
            // step's arrays would add ~200 MB a phase, ~600 MB by the last one. Without a leak, glibc's arenas make
            // native RSS wander by up to ~60 MB between phases, so compare the lowest late reading with the lowest
            // early one.
            System.err.println("native RSS per phase (kB): " + java.util.Arrays.toString(rss));
            long early = Math.min(rss[0], rss[1]), late = Math.min(rss[3], rss[4]);
            assertTrue(late - early < 128 * 1024, "RSS kept growing: " + java.util.Arrays.toString(rss) + " kB");
        }
    }

    /** Resident memory outside the Java heap: RSS minus the heap's committed size. */
    static long rssKb() throws IOException {
        System.gc();
        long heapKb = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) - heapKb;
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
