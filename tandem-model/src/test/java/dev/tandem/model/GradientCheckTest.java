package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Autograd through the whole model against central finite differences of a scalar loss. */
class GradientCheckTest {
    static final int[][] PROMPTS = {{1, 5, 9}, {1, 30, 11, 7, 3}};
    static final int[][] RESPONSES = {{4, 8, 15, 16}, {23, 2}};

    @Test
    void gradientsMatchFiniteDifferences() {
        try (Llama model = Llama.random(TestModels.tiny(), 3, true)) {
            model.setTrainable(true);
            List<String> names = List.of("tok_embeddings.weight", "layers.0.attention_norm.weight",
                    "layers.0.attention.wqkv.weight", "layers.1.attention.wo.weight", "layers.1.feed_forward.w13.weight",
                    "layers.0.feed_forward.w2.weight", "norm.weight", "output.weight", Llama.HEAD_WEIGHT);
            java.util.Map<String, float[]> grads = new java.util.HashMap<>();
            try (NDManager m = model.manager().newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.zeroGradients();
                gc.backward(loss(model, m));
                for (String name : names) grads.put(name, model.parameters().get(name).getGradient().toFloatArray());
            }
            int checked = 0;
            for (String name : names) {
                NDArray p = model.parameters().get(name);
                int n = (int) p.size();
                int[] indices = {0, n / 3, n / 2, n - 1};
                float[] grad = grads.get(name);
                for (int i : indices) {
                    float[] values = p.toFloatArray();
                    float orig = values[i], h = 1e-2f;
                    values[i] = orig + h;
                    p.set(values);
                    double up = lossValue(model);
                    values[i] = orig - h;
                    p.set(values);
                    double down = lossValue(model);
                    values[i] = orig;
                    p.set(values);
                    double numeric = (up - down) / (2 * h);
                    assertEquals(numeric, grad[i], 2e-3 + 2e-2 * Math.abs(numeric), name + "[" + i + "]");
                    if (Math.abs(numeric) > 1e-3) checked++;
                }
            }
            assertTrue(checked >= 15, "too few non-trivial gradients were checked: " + checked);
        }
    }

    /** Mean response log-likelihood plus the scalar head at the last token: both heads and every block get gradient. */
    static NDArray loss(Llama model, NDManager m) {
        SequenceBatch batch = SequenceBatch.of(m, PROMPTS, RESPONSES, 0);
        NDArray hidden = model.forward(batch.tokens(), batch.positions(), batch.bias(), null, 0);
        NDArray logp = model.logits(batch.responsePredictors(hidden)).logSoftmax(-1)
                .gather(batch.targets().expandDims(-1), -1).squeeze(-1).mul(batch.responseMask());
        NDArray nll = logp.sum().div(batch.responseMask().sum()).neg();
        NDArray value = model.scalarAtLast(hidden, batch.lastIndex()).square().mean();
        return nll.add(value.mul(10f));
    }

    static double lossValue(Llama model) {
        try (NDManager m = model.manager().newSubManager()) {
            return loss(model, m).getFloat();
        }
    }
}
