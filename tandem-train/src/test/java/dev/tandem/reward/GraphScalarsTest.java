package dev.tandem.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tandem.model.GraphScalars;
import dev.tandem.model.TensorEngine;
import dev.tandem.train.NativeMemoryChurn;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression for the order-dependent gradient failure (see {@link GraphScalars}): a garbage collection between the
 * forward and the backward pass, followed by native allocations that reuse freed memory, must not change any
 * gradient. Before the fix, DJL's {@code x.div(Number)} / {@code mul(Number)} scalars saved by autograd were freed by
 * such a collection and the backward pass read NaN from the reused memory.
 */
class GraphScalarsTest {
    @Test
    void tensorLossGradientsSurviveACollectionBetweenForwardAndBackward() {
        TensorEngine.start();
        List<Comparison> batch = List.of(new Comparison.Preferred("p", "a", "b", 0),
                new Comparison.Preferred("p", "c", "d", 2.0 / 3),
                new Comparison.Ranking("p", List.of("a", "b", "c"), new int[] {1, 0, 2}),
                new Comparison.Tie("p", "x", "y"),
                new Comparison.Rated("p", "a", 1), new Comparison.Rated("p", "c", 7));
        float[] rewards = {0.5f, -0.25f, 1.5f, 0.1f, 0.2f, -0.7f, 0.9f, 0.3f, 0.35f, -1.1f, 0.05f};
        for (LossConfig cfg : List.of(LossConfig.defaults().withTies(LossConfig.TieModel.DAVIDSON, 0.5).withCenterCoefficient(0.01),
                LossConfig.defaults().withTies(LossConfig.TieModel.RAO_KUPPER, 1.5).withCenterCoefficient(0.05))) {
            // host reference
            double[] grad = new double[rewards.length];
            double expected = 0;
            int off = 0;
            for (Comparison c : batch) {
                int k = c.responses().size();
                double[] r = new double[k], g = new double[k];
                for (int i = 0; i < k; i++) r[i] = rewards[off + i];
                expected += Losses.loss(c, r, cfg, g);
                for (int i = 0; i < k; i++) grad[off + i] = g[i] / batch.size();
                off += k;
            }
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray r = m.create(rewards);
                r.setRequiresGradient(true);
                List<ByteBuffer> reused;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = TensorLosses.meanLoss(r, batch, cfg);
                    reused = NativeMemoryChurn.collectAndReuse();
                    assertEquals(expected / batch.size(), loss.getFloat(), 1e-5, cfg.toString());
                    gc.backward(loss);
                }
                assertTrue(reused.size() > 0);
                float[] g = r.getGradient().toFloatArray();
                for (int i = 0; i < g.length; i++) assertEquals(grad[i], g[i], 1e-5, "gradient of reward " + i + " " + cfg);
            }
        }
    }
}
