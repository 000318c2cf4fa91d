package dev.tandem.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tandem.model.Llama;
import dev.tandem.model.LlamaConfig;
import dev.tandem.model.SequenceBatch;
import dev.tandem.model.TensorEngine;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole model's gradients (RMSNorm, RoPE, attention, SwiGLU, both heads) do not change when a garbage collection
 * reuses freed native memory between forward and backward (see {@link dev.tandem.model.GraphScalars}).
 */
class ModelGradientGcTest {
    static final int[][] PROMPTS = {{1, 5, 9}, {1, 30, 11, 7, 3}};
    static final int[][] RESPONSES = {{4, 8, 15, 16}, {23, 2}};

    static Map<String, float[]> gradients(Llama model, boolean churn) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = model.manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.zeroGradients();
            SequenceBatch batch = SequenceBatch.of(m, PROMPTS, RESPONSES, 0);
            NDArray hidden = model.forward(batch.tokens(), batch.positions(), batch.bias(), null, 0);
            NDArray logp = model.logits(batch.responsePredictors(hidden)).logSoftmax(-1)
                    .gather(batch.targets().expandDims(-1), -1).squeeze(-1).mul(batch.responseMask());
            NDArray loss = logp.sum().neg().add(model.scalarAtLast(hidden, batch.lastIndex()).square().sum());
            List<ByteBuffer> reused = churn ? NativeMemoryChurn.collectAndReuse() : List.of();
            gc.backward(loss);
            assertTrue(!churn || !reused.isEmpty());
            for (var e : model.parameters().entrySet()) out.put(e.getKey(), e.getValue().getGradient().toFloatArray());
        }
        return out;
    }

    @Test
    void gradientsSurviveACollectionBetweenForwardAndBackward() {
        TensorEngine.start();
        try (Llama model = Llama.random(LlamaConfig.of(16, 40, 2, 4, 2, 37, 64, false), 3, true)) {
            model.setTrainable(true);
            Map<String, float[]> clean = gradients(model, false), churned = gradients(model, true);
            for (var e : clean.entrySet()) {
                for (float g : e.getValue()) assertFalse(Float.isNaN(g), e.getKey() + " has a NaN gradient without a GC");
                assertArrayEquals(e.getValue(), churned.get(e.getKey()), 1e-6f, e.getKey());
            }
        }
    }
}
