package dev.tandem.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.tandem.model.GraphScalars;
import dev.tandem.model.Llama;
import dev.tandem.model.LlamaConfig;
import dev.tandem.model.SequenceBatch;
import dev.tandem.model.TensorEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Shards run on replicas whose gradients are summed into the model's: the same gradients as one backward pass over
 * the whole batch (to float rounding), bit for bit the same on every run, failures surface with nothing added, and
 * many steps leave no arrays behind.
 */
class DataParallelTest {
    static final LlamaConfig CONFIG = LlamaConfig.of(16, 40, 2, 4, 2, 37, 64, false);

    static int[][] rows(int n, int seed, int minLen) {
        int[][] r = new int[n][];
        for (int i = 0; i < n; i++) {
            r[i] = new int[minLen + (i * 5 + seed) % 9];
            for (int j = 0; j < r[i].length; j++) r[i][j] = 3 + (seed * 13 + i * 7 + j * 3) % 34;
        }
        return r;
    }

    /** A loss that reads every row: the mean over rows of (reward at the last token − 0.3)². */
    static NDArray loss(Llama model, NDManager m, int[][] prompts, int[][] responses, float share) {
        SequenceBatch b = SequenceBatch.ofSharedPrompts(m, prompts, responses, 0);
        NDArray r = model.scalar(model.forwardAt(b, b.lastIndex()));
        NDArray l = r.sub(GraphScalars.of(r, 0.3f)).square().mean();
        return l.mul(GraphScalars.of(l, share));
    }

    static Llama trainable(Llama model) {
        model.setTrainable(true);
        return model;
    }

    static Map<String, float[]> gradients(Llama model) {
        Map<String, float[]> g = new LinkedHashMap<>();
        try (NDManager tmp = model.manager().newSubManager()) {
            for (var e : model.parameters().entrySet()) {
                NDArray grad = e.getValue().getGradient();
                grad.attach(tmp);
                g.put(e.getKey(), grad.toFloatArray());
            }
        }
        return g;
    }

    static void zero(Llama model) {
        for (NDArray p : model.parameters().values()) JniUtils.zeroGrad((PtNDArray) p);
    }

    /** Gradients of the whole batch's loss through shards (parts of {@code sizes} rows) of a DataParallel. */
    static Map<String, float[]> sharded(Llama model, DataParallel dp, int[][] prompts, int[][] responses, int... sizes) {
        zero(model);
        List<DataParallel.Task<Integer>> tasks = new ArrayList<>();
        int from = 0;
        for (int size : sizes) {
            int a = from, b = from + size;
            tasks.add((replica, m) -> new DataParallel.Shard<>(loss(replica, m, Arrays.copyOfRange(prompts, a, b),
                    Arrays.copyOfRange(responses, a, b), (b - a) / (float) prompts.length), b - a));
            from = b;
        }
        assertEquals(Arrays.stream(sizes).boxed().toList(), dp.run(tasks));
        return gradients(model);
    }

    @Test
    void shardedGradientsEqualOneBackwardPassOverTheWholeBatch() {
        TensorEngine.start();
        int[][] prompts = rows(10, 1, 3), responses = rows(10, 2, 1);
        for (int i = 1; i < 10; i += 2) prompts[i] = prompts[i - 1];           // pairs share their prompt
        try (Llama model = Llama.random(CONFIG, 4, true)) {
            model.setTrainable(true);
            Map<String, float[]> whole;
            try (NDManager m = model.manager().newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss(model, m, prompts, responses, 1f));
            }
            whole = gradients(model);
            try (DataParallel dp = new DataParallel(model, 3)) {
                Map<String, float[]> three = sharded(model, dp, prompts, responses, 4, 4, 2);
                Map<String, float[]> again = sharded(model, dp, prompts, responses, 4, 4, 2);
                Map<String, float[]> two = sharded(model, dp, prompts, responses, 6, 4);
                double largest = 0;
                for (String name : whole.keySet()) {
                    float[] w = whole.get(name);
                    assertArrayEquals(three.get(name), again.get(name), name + ": not the same on a second run");
                    double scale = 1e-6;
                    for (float v : w) scale = Math.max(scale, Math.abs(v));
                    largest = Math.max(largest, scale);
                    for (int i = 0; i < w.length; i++) {
                        assertEquals(w[i], three.get(name)[i], 1e-4 * scale, name + "[" + i + "], 3 shards");
                        assertEquals(w[i], two.get(name)[i], 1e-4 * scale, name + "[" + i + "], 2 shards");
                    }
                }
                assertTrue(largest > 1e-3, "gradients too small to test anything: " + largest);
            }
        }
    }

    @Test
    void aBatchSplitsIntoContiguousPartsOnePerShardAtMost() {
        TensorEngine.start();
        try (Llama model = trainable(Llama.random(CONFIG, 2, true)); DataParallel dp = new DataParallel(model, 3)) {
            assertEquals(List.of(new DataParallel.Part(0, 3), new DataParallel.Part(3, 6), new DataParallel.Part(6, 10)),
                    dp.split(10));
            assertEquals(List.of(new DataParallel.Part(0, 1), new DataParallel.Part(1, 2)), dp.split(2));
            assertEquals(List.of(new DataParallel.Part(0, 1)), dp.split(1));
        }
    }

    @Test
    void anOptimizerStepOnTheModelIsSeenByTheReplicas() {
        TensorEngine.start();
        int[][] prompts = rows(4, 3, 2), responses = rows(4, 5, 2);
        try (Llama model = trainable(Llama.random(CONFIG, 6, true)); DataParallel dp = new DataParallel(model, 2);
                AdamW opt = new AdamW(new ArrayList<>(model.parameters().values()), AdamW.Config.defaults())) {
            float[] before = sharded(model, dp, prompts, responses, 2, 2).get("layers.0.attention.wqkv.weight");
            opt.step(1e-2f);
            float[] after = sharded(model, dp, prompts, responses, 2, 2).get("layers.0.attention.wqkv.weight");
            assertTrue(!Arrays.equals(before, after), "the replicas still compute with the old weights");
        }
    }

    @Test
    void manyStepsLeaveNoArraysBehind() {
        TensorEngine.start();
        int[][] prompts = rows(6, 7, 2), responses = rows(6, 9, 2);
        try (Llama model = trainable(Llama.random(CONFIG, 8, true)); DataParallel dp = new DataParallel(model, 2);
                AdamW opt = new AdamW(new ArrayList<>(model.parameters().values()), AdamW.Config.defaults())) {
            BaseNDManager m = (BaseNDManager) model.manager();
            sharded(model, dp, prompts, responses, 3, 3);                       // warm: gradients exist everywhere
            int before = m.getManagedArrays().size();
            for (int step = 0; step < 100; step++) {
                sharded(model, dp, prompts, responses, 3, 3);                   // zeroes, runs, reads the gradients
                dp.map(List.of(() -> 0, () -> 1));
                opt.step(1e-3f);
            }
            assertEquals(before, m.getManagedArrays().size(), "arrays left attached to the model's or a replica's manager");
        }
    }

    @Test
    void aFailingShardIsRethrownAndAddsNoGradient() {
        TensorEngine.start();
        int[][] prompts = rows(4, 3, 2), responses = rows(4, 5, 2);
        try (Llama model = Llama.random(CONFIG, 6, true)) {
            model.setTrainable(true);
            try (DataParallel dp = new DataParallel(model, 2)) {
                zero(model);
                List<DataParallel.Task<Integer>> tasks = List.of(
                        (replica, m) -> new DataParallel.Shard<>(loss(replica, m, prompts, responses, 1f), 1),
                        (replica, m) -> { throw new IllegalStateException("shard 1 broke"); });
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> dp.run(tasks));
                assertEquals("shard 1 broke", e.getMessage());
                for (float[] g : gradients(model).values()) for (float v : g) assertEquals(0f, v);
                // and the next run starts clean: shard 0's gradient from the failed run was dropped
                Map<String, float[]> ok = sharded(model, dp, prompts, responses, 2, 2);
                Map<String, float[]> again = sharded(model, dp, prompts, responses, 2, 2);
                for (String name : ok.keySet()) assertArrayEquals(ok.get(name), again.get(name), name);
            }
            assertEquals(TensorEngine.threads(), JniUtils.getNumThreads(), "the caller's thread count is back");
        }
    }
}
