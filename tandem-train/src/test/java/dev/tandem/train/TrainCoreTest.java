package dev.tandem.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tandem.model.TensorEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCoreTest {
    @TempDir Path tmp;

    /** loss = Σ p² / 2, so the gradient is p itself. */
    private static void backward(NDArray p) {
        try (NDManager m = p.getManager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = p.mul(1f);
            x.attach(m);
            NDArray loss = x.square().sum().div(2f);
            gc.backward(loss);
        }
    }

    @Test
    void adamWMatchesHandComputation() {
        TensorEngine.start();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {1f, -2f});
            p.setRequiresGradient(true);
            try (AdamW opt = new AdamW(List.of(p), new AdamW.Config(0.9f, 0.999f, 1e-8f, 0.1f))) {
                // step 1: g = p = (1, -2); m = 0.1 g; v = 0.001 g²; m̂ = g, v̂ = g² → update lr·g/|g| = lr·sign(g)
                //         p ← p − lr·wd·p − lr·sign(g) = (1 − 0.01·0.1 − 0.01, −2 + 0.01·0.2 + 0.01)
                opt.zeroGradients();
                backward(p);
                opt.step(0.01f);
                float[] after1 = p.toFloatArray();
                assertEquals(1 - 0.001 - 0.01, after1[0], 1e-6);
                assertEquals(-2 + 0.002 + 0.01, after1[1], 1e-6);
                // step 2, by hand in double precision
                double[] pv = {after1[0], after1[1]}, g1 = {1, -2};
                opt.zeroGradients();
                backward(p);
                opt.step(0.01f);
                float[] after2 = p.toFloatArray();
                for (int i = 0; i < 2; i++) {
                    double g2 = pv[i];
                    double mm = 0.9 * (0.1 * g1[i]) + 0.1 * g2, vv = 0.999 * (0.001 * g1[i] * g1[i]) + 0.001 * g2 * g2;
                    double mHat = mm / (1 - 0.81), vHat = vv / (1 - 0.999 * 0.999);
                    double expected = pv[i] - 0.01 * 0.1 * pv[i] - 0.01 * mHat / (Math.sqrt(vHat) + 1e-8);
                    assertEquals(expected, after2[i], 1e-6, "element " + i);
                }
                assertEquals(2, opt.steps());
                // state round trip
                var state = opt.state();
                try (AdamW other = new AdamW(List.of(p), AdamW.Config.defaults())) {
                    other.loadState(state);
                    assertEquals(2, other.steps());
                    assertEquals(state.get("m.0")[1], other.state().get("m.0")[1]);
                }
            }
        }
    }

    @Test
    void zeroGradientsAndClipNorm() {
        TensorEngine.start();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3f, 0f}), b = m.create(new float[] {4f});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            backward(a);
            backward(b);
            float norm = Gradients.clipNorm(List.of(a, b), 1f); // ‖(3, 0, 4)‖ = 5 → scaled to 1
            assertEquals(5f, norm, 1e-5);
            assertEquals(0.6f, a.getGradient().toFloatArray()[0], 1e-5);
            assertEquals(0.8f, b.getGradient().toFloatArray()[0], 1e-5);
            backward(a); // accumulates: 0.6 + 3
            assertEquals(3.6f, a.getGradient().toFloatArray()[0], 1e-5);
            try (AdamW opt = new AdamW(List.of(a, b), AdamW.Config.defaults())) {
                opt.zeroGradients();
            }
            assertEquals(0f, a.getGradient().toFloatArray()[0]);
            assertEquals(0f, Gradients.clipNorm(List.of(a, b), 1f));
        }
    }

    @Test
    void warmupCosine() {
        assertEquals(0.25f, Schedules.warmupCosine(0, 4, 104, 1f, 0.1f), 1e-6);
        assertEquals(1f, Schedules.warmupCosine(3, 4, 104, 1f, 0.1f), 1e-6);
        assertEquals(1f, Schedules.warmupCosine(4, 4, 104, 1f, 0.1f), 1e-6);
        assertEquals(0.55f, Schedules.warmupCosine(54, 4, 104, 1f, 0.1f), 1e-6); // halfway: 0.1 + 0.9·0.5
        assertEquals(0.1f, Schedules.warmupCosine(104, 4, 104, 1f, 0.1f), 1e-6);
        assertEquals(0.1f, Schedules.warmupCosine(500, 4, 104, 1f, 0.1f), 1e-6);
    }

    @Test
    void metricsLogResumeDropsLinesAfterTheCheckpointAndTornLines() throws IOException {
        Path f = tmp.resolve("run/metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(f)) {
            for (int s = 1; s <= 5; s++) {
                var row = new java.util.LinkedHashMap<String, Double>();
                row.put("loss", 1.0 / s);
                row.put("objective/kl", Double.NaN);
                log.log(s, row);
            }
        }
        Files.writeString(f, "{\"step\": 6, \"lo", java.nio.file.StandardOpenOption.APPEND); // torn by a kill
        try (MetricsLog log = MetricsLog.open(f, 3)) {
            log.log(4, Map.of("loss", 0.2));
        }
        var rows = MetricsLog.read(f);
        assertEquals(4, rows.size());
        assertEquals(4, ((Number) rows.get(3).get("step")).intValue());
        assertEquals("NaN", rows.get(0).get("objective/kl"));
        MetricsLog.writeCsv(f, tmp.resolve("m.csv"));
        List<String> csv = Files.readAllLines(tmp.resolve("m.csv"));
        assertEquals("step,loss,objective/kl", csv.get(0));
        assertEquals(5, csv.size());
    }

    @Test
    void runDirectoryFindsTheLatestCompleteCheckpoint() throws IOException {
        RunDirectory run = RunDirectory.create(tmp.resolve("runs/x"));
        assertTrue(run.latestCheckpoint().isEmpty());
        for (long s : new long[] {10, 120, 30}) {
            Files.createDirectories(run.checkpoint(s));
            Files.writeString(run.checkpoint(s).resolve("config.json"), "{}");
        }
        Files.createDirectories(run.checkpoint(200)); // incomplete: no config.json
        assertEquals(run.checkpoint(120), run.latestCheckpoint().orElseThrow());
        assertEquals(120, RunDirectory.stepOf(run.checkpoint(120)));
        RunDirectory.writeJsonAtomically(run.config(), Map.of("seed", 7));
        assertTrue(Files.readString(run.config()).contains("\"seed\" : 7"));
    }

    @Test
    void plotsEscapeText() {
        String svg = Plots.svgLines("<script>alert(1)</script>", "step & more",
                Map.of("a\"b", new double[][] {{0, 1, 2}, {1, Double.NaN, 3}}));
        assertFalse(svg.contains("<script>"));
        assertTrue(svg.contains("&lt;script&gt;"));
        assertTrue(svg.contains("step &amp; more"));
        assertTrue(svg.contains("<path d=\"M"));
    }
}
