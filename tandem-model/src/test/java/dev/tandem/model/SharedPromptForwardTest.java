package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
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
            float[] plainH, sharedH;
            Map<String, float[]> plainG, sharedG;
            float plainLoss, sharedLoss;
            int tp, width;
            try (NDManager m = model.manager().newSubManager()) {
                SequenceBatch plain = SequenceBatch.of(m, prompts, responses, 0);
                SequenceBatch shared = SequenceBatch.ofSharedPrompts(m, prompts, responses, 0);
                assertNull(plain.shared());
                assertNotNull(shared.shared());
                assertEquals(3, shared.shared().promptTokens().getShape().get(0), "three distinct prompts");
                tp = plain.promptWidth();
                width = tp + plain.responseWidth();
                long scores = (long) c.nHeads() * plain.responseWidth() * width * rows;
                assertTrue(scores >= Llama.BLOCKED_MIN_SCORES, "the response part should run in blocks: " + scores);
                Object[] a = run(model, plain), b = run(model, shared);
                plainH = (float[]) a[0];
                sharedH = (float[]) b[0];
                plainLoss = (float) a[1];
                sharedLoss = (float) b[1];
                @SuppressWarnings("unchecked") Map<String, float[]> ga = (Map<String, float[]>) a[2];
                @SuppressWarnings("unchecked") Map<String, float[]> gb = (Map<String, float[]>) b[2];
                plainG = ga;
                sharedG = gb;
                assertEquals(plainH.length, sharedH.length);
                double maxAbs = 0;
                for (int row = 0; row < rows; row++) {
                    int start = tp - prompts[row].length, end = tp + responses[row].length;
                    for (int j = start; j < end; j++) {
                        for (int i = 0; i < c.dim(); i++) {
                            int at = (row * width + j) * c.dim() + i;
                            maxAbs = Math.max(maxAbs, Math.abs(plainH[at]));
                            assertEquals(plainH[at], sharedH[at], 1e-4f, "row " + row + " column " + j + " dim " + i);
                        }
                    }
                }
                assertTrue(maxAbs > 0.1, "hidden states too small to test anything: " + maxAbs);
            }
            assertEquals(plainLoss, sharedLoss, 1e-4f * Math.max(1f, Math.abs(plainLoss)));
            for (var e : plainG.entrySet()) {
                float[] want = e.getValue(), got = sharedG.get(e.getKey());
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
                float[][] want = new float[2][], got = new float[2][];
                Map<String, float[]> wantG = null, gotG = null;
                for (int mode = 0; mode < 2; mode++) {
                    for (NDArray p : model.parameters().values()) p.getGradient().muli(0);
                    try (NDManager m = model.manager().newSubManager()) {
                        SequenceBatch b = shared ? SequenceBatch.ofSharedPrompts(m, prompts, responses, 0)
                                : SequenceBatch.of(m, prompts, responses, 0);
                        assertEquals(shared, b.shared() != null);
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray r = mode == 0 ? model.scalarAtLast(model.forward(b), b.lastIndex())
                                    : model.scalar(model.forwardAt(b, b.lastIndex()));
                            (mode == 0 ? want : got)[0] = r.toFloatArray();
                            gc.backward(r.mul(r).sum());
                        }
                    }
                    Map<String, float[]> g = new java.util.LinkedHashMap<>();
                    for (var e : model.parameters().entrySet()) g.put(e.getKey(), e.getValue().getGradient().toFloatArray());
                    if (mode == 0) wantG = g; else gotG = g;
                }
                assertEquals(rows, got[0].length);
                for (int b = 0; b < rows; b++) assertEquals(want[0][b], got[0][b], 1e-4f, "shared " + shared + " row " + b);
                for (var e : wantG.entrySet()) {
                    float[] w = e.getValue(), x = gotG.get(e.getKey());
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
    private static Object[] run(Llama model, SequenceBatch batch) {
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
        Map<String, float[]> grads = new java.util.LinkedHashMap<>();
        for (var e : model.parameters().entrySet()) grads.put(e.getKey(), e.getValue().getGradient().toFloatArray());
        return new Object[] {hidden, loss, grads};
    }
}
