package dev.tandem.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tandem.model.TensorEngine;
import dev.tandem.train.NativeMemoryChurn;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The policy losses' gradients do not change when a garbage collection and native allocations full of NaN happen
 * between forward and backward (see {@link dev.tandem.model.GraphScalars}: DJL frees the scalar of {@code x.mul(2f)}
 * that autograd saved, so without the fix the backward pass read reused memory).
 */
class GraphScalarsRlTest {
    /** Gradient of loss(x) at x, with or without a collection between forward and backward. */
    static float[] gradient(float[] x, Shape shape, Function<NDArray, NDArray> loss, boolean disturb) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray v = m.create(x, shape);
            v.setRequiresGradient(true);
            List<ByteBuffer> reused = List.of();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = loss.apply(v);
                if (disturb) reused = NativeMemoryChurn.collectAndReuse();
                gc.backward(l);
            }
            assertTrue(!disturb || !reused.isEmpty());
            return v.getGradient().toFloatArray();
        }
    }

    static void assertStable(String what, float[] x, Shape shape, Function<NDArray, NDArray> loss) {
        float[] clean = gradient(x, shape, loss, false);
        for (float g : clean) assertTrue(Float.isFinite(g), what + ": clean gradient " + java.util.Arrays.toString(clean));
        assertArrayEquals(clean, gradient(x, shape, loss, true), 1e-6f, what);
    }

    @Test
    void lossGradientsSurviveACollectionBetweenForwardAndBackward() {
        TensorEngine.start();
        float[] four = {-1.2f, -0.4f, -2.0f, -0.9f};
        // DPO (sigmoid with label smoothing) and IPO on [policy chosen, policy rejected] log-probs of two pairs
        for (PreferenceLoss.Kind kind : PreferenceLoss.Kind.values()) {
            assertStable("preference " + kind, four, new Shape(2, 2), p -> {
                NDManager m = p.getManager();
                NDArray chosen = p.get(":, 0"), rejected = p.get(":, 1");
                return PreferenceLoss.compute(kind, chosen, rejected, m.create(new float[] {-1f, -1f}),
                        m.create(new float[] {-1.5f, -0.5f}), 0.1f, 0.1f).loss();
            });
        }
        // PPO's clipped value loss (× ½) on [1, 4] values
        assertStable("ppo value", four, new Shape(1, 4), v -> {
            NDManager m = v.getManager();
            return PpoLoss.value(v, m.create(new float[] {-1f, -0.5f, -1.5f, -1f}, new Shape(1, 4)),
                    m.create(new float[] {0.5f, -0.2f, -1f, 0f}, new Shape(1, 4)), m.ones(new Shape(1, 4)), 0.2f).loss();
        });
        // GRPO's per-token loss with the β·k3 term
        assertStable("grpo", four, new Shape(1, 4), lp -> {
            NDManager m = lp.getManager();
            NDArray old = m.create(new float[] {-1.1f, -0.5f, -1.9f, -1f}, new Shape(1, 4));
            return GroupLoss.grpo(lp, old, old.sub(0.3f), m.create(new float[] {0.7f}), m.ones(new Shape(1, 4)), 0.2f,
                    0.05f).loss();
        });
    }
}
