package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A batch whose rows repeat prompts runs each distinct prompt once ({@link SequenceBatch#ofSharedPrompts}); the
 * hidden states at real tokens, a loss read from them and every parameter's gradient must equal those of the plain
 * batch. Rows here: ragged prompts and responses, an empty response, prompts repeated out of order, and rows long
 * enough that the response part runs in query blocks.
 */
class SharedPromptForwardTest {

    static int[] seq(int n, int seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = 3 + (seed * 13 + i * 7 + i / 5) % 34;
        if (n > 0) a[0] = 1;
        return a;
    }

    @Test
    void sharedPromptsGiveTheSameHiddenStatesLossAndGradients() {
        TensorEngine.start();
        LlamaConfig c = LlamaConfig.of(16, 40, 2, 4, 2, 37, 160, false);
        int[][] distinct = {seq(9, 1), seq(3, 2), seq(20, 3)};
        int rows = 96; // enough rows that the response part runs in query blocks (Llama.BLOCKED_MIN_SCORES)
        int[] order = new int[rows];
        for (int b = 0; b < rows; b++) order[b] = (b * 7 + b / 5) % 3;
        int[][] prompts = new int[rows][], responses = new int[rows][];
        for (int b = 0; b < rows; b++) {
            prompts[b] = distinct[order[b]];
            responses[b] = seq(b == 5 ? 0 : 70 + (b * 11) % 30, 10 + b); // row 5: an empty response
        }
        try (Llama model = Llama.random(c, 3, true)) {
            model.setTrainable(true);
            Run plain, shared;
            int tp, width;
            try (NDManager m = model.manager().newSubManager()) {
                SequenceBatch plainBatch = SequenceBatch.of(m, prompts, responses, 0);
                SequenceBatch sharedBatch = SequenceBatch.ofSharedPrompts(m, prompts, responses, 0);
                assertNull(plainBatch.shared());
                assertNotNull(sharedBatch.shared());
                assertEquals(3, sharedBatch.shared().promptTokens().getShape().get(0), "three distinct prompts");
                tp = plainBatch.promptWidth();
                width = tp + plainBatch.responseWidth();
                long scores = (long) c.nHeads() * plainBatch.responseWidth() * width * rows;
                assertTrue(scores >= Llama.BLOCKED_MIN_SCORES, "the response part should run in blocks: " + scores);
                plain = run(model, plainBatch);
                shared = run(model, sharedBatch);
                assertEquals(plain.hidden().length, shared.hidden().length);
                double maxAbs = 0;
                for (int row = 0; row < rows; row++) {
                    int start = tp - prompts[row].length, end = tp + responses[row].length;
                    for (int j = start; j < end; j++) {
                        for (int i = 0; i < c.dim(); i++) {
                            int at = (row * width + j) * c.dim() + i;
                            maxAbs = Math.max(maxAbs, Math.abs(plain.hidden()[at]));
                            assertEquals(plain.hidden()[at], shared.hidden()[at], 1e-4f,
                                    "row " + row + " column " + j + " dim " + i);
                        }
                    }
                }
                assertTrue(maxAbs > 0.1, "hidden states too small to test anything: " + maxAbs);
            }
            assertEquals(plain.loss(), shared.loss(), 1e-4f * Math.max(1f, Math.abs(plain.loss())));
            for (var e : plain.gradients().entrySet()) {
                float[] want = e.getValue(), got = shared.gradients().get(e.getKey());
                double norm = 0;
                for (float w : want) norm = Math.max(norm, Math.abs(w));
                assertTrue(norm > 0, e.getKey() + " got no gradient");
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-4 * Math.max(1, norm), e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void theLastBlockAtOneColumnEqualsTheFullForwardThere() {
        TensorEngine.start();
        LlamaConfig c = LlamaConfig.of(16, 40, 3, 4, 2, 37, 160, false);
        int rows = 10;
        int[][] prompts = new int[rows][], responses = new int[rows][];
        for (int b = 0; b < rows; b++) {
            prompts[b] = seq(4 + (b / 2) % 3 * 7, b / 2);          // pairs share a prompt
            responses[b] = seq(b == 3 ? 0 : 5 + (b * 7) % 19, 30 + b); // ragged, one empty
        }
        try (Llama model = Llama.random(c, 8, true)) {
            model.setTrainable(true);
            for (boolean shared : new boolean[] {false, true}) {
                float[][] rewards = new float[2][];                           // [0] full forward, [1] forwardAt
                List<Map<String, float[]>> grads = new ArrayList<>();
                for (int mode = 0; mode < 2; mode++) {
                    for (NDArray p : model.parameters().values()) p.getGradient().muli(0);
                    try (NDManager m = model.manager().newSubManager()) {
                        SequenceBatch b = shared ? SequenceBatch.ofSharedPrompts(m, prompts, responses, 0)
                                : SequenceBatch.of(m, prompts, responses, 0);
                        assertEquals(shared, b.shared() != null);
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray r = mode == 0 ? model.scalarAtLast(model.forward(b), b.lastIndex())
                                    : model.scalar(model.forwardAt(b, b.lastIndex()));
                            rewards[mode] = r.toFloatArray();
                            gc.backward(r.mul(r).sum());
                        }
                    }
                    grads.add(gradients(model));
                }
                assertEquals(rows, rewards[1].length);
                for (int b = 0; b < rows; b++) assertEquals(rewards[0][b], rewards[1][b], 1e-4f, "shared " + shared + " row " + b);
                for (var e : grads.get(0).entrySet()) {
                    float[] w = e.getValue(), x = grads.get(1).get(e.getKey());
                    double norm = 0;
                    for (float v : w) norm = Math.max(norm, Math.abs(v));
                    // a reward loss reaches every parameter but the language-model head
                    assertEquals(!e.getKey().equals("output.weight"), norm > 0, e.getKey() + " gradient max " + norm);
                    for (int i = 0; i < w.length; i++) assertEquals(w[i], x[i], 1e-4 * Math.max(1, norm), e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    /** Hidden states, a loss from the scalar head at each row's last token and the LM head, and all gradients. */
    private record Run(float[] hidden, float loss, Map<String, float[]> gradients) {}

    private static Run run(Llama model, SequenceBatch batch) {
        for (NDArray p : model.parameters().values()) p.getGradient().muli(0);
        float loss;
        float[] hidden;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray h = model.forward(batch);
            hidden = h.toFloatArray();
            NDArray rewards = model.scalarAtLast(h, batch.lastIndex());
            NDArray lm = model.logits(batch.responsePredictors(h)).logSoftmax(-1).mul(batch.responseMask().expandDims(-1));
            NDArray l = rewards.square().mean().add(lm.mean().neg());
            gc.backward(l);
            loss = l.getFloat();
        }
        return new Run(hidden, loss, gradients(model));
    }

    private static Map<String, float[]> gradients(Llama model) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        for (var e : model.parameters().entrySet()) grads.put(e.getKey(), e.getValue().getGradient().toFloatArray());
        return grads;
    }
}
