package dev.tandem.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The DJL forward pass against a plain-Java, position-by-position reference written from llama2.c's run.c
 * (scalar loops in double precision, weights read in llama2.c's [out][in] order, separate wq/wk/wv, no fusion).
 */
class ReferenceForwardTest {

    @Test
    void logitsMatchScalarReference() {
        try (Llama model = TestModels.random(7); NDManager m = NDManager.newBaseManager()) {
            int[] tokens = {1, 5, 9, 33, 2, 17, 17, 4, 30, 11};
            int t = tokens.length;
            NDArray input = m.create(tokens, new Shape(1, t));
            NDArray hidden = model.forward(input, Masks.positions(m, new int[] {0}, t, 0),
                    Masks.bias(m, new int[] {0}, new int[] {t}, t), null, 0);
            float[] logits = model.logits(hidden).toFloatArray();          // [1, T, V]
            double[][] expected = reference(model, tokens);
            int v = model.config().vocabSize();
            double maxAbs = 0;
            for (int p = 0; p < t; p++) {
                for (int i = 0; i < v; i++) {
                    double e = expected[p][i];
                    maxAbs = Math.max(maxAbs, Math.abs(e));
                    assertEquals(e, logits[p * v + i], 1e-4 * (1 + Math.abs(e)), "position " + p + " logit " + i);
                }
            }
            // the test is only meaningful if the logits are far from zero and differ between positions
            org.junit.jupiter.api.Assertions.assertTrue(maxAbs > 1, "logits too small to test anything: " + maxAbs);
        }
    }

    /** run.c's forward(), for every position of one sequence, in double precision. */
    static double[][] reference(Llama model, int[] tokens) {
        LlamaConfig c = model.config();
        Map<String, NDArray> p = model.parameters();
        int d = c.dim(), hd = c.hiddenDim(), hs = c.headSize(), kvDim = c.kvDim(), g = c.groupSize();
        float[] emb = p.get("tok_embeddings.weight").toFloatArray();
        float[] cls = c.sharedClassifier() ? emb : p.get("output.weight").toFloatArray();
        int t = tokens.length;
        double[][][] keyCache = new double[c.nLayers()][t][kvDim], valueCache = new double[c.nLayers()][t][kvDim];
        double[][] out = new double[t][];
        for (int pos = 0; pos < t; pos++) {
            double[] x = new double[d];
            for (int i = 0; i < d; i++) x[i] = emb[tokens[pos] * d + i];
            for (int l = 0; l < c.nLayers(); l++) {
                String pre = "layers." + l + ".";
                float[] wqkv = p.get(pre + "attention.wqkv.weight").toFloatArray();
                double[] xb = rmsnorm(x, p.get(pre + "attention_norm.weight").toFloatArray(), c.normEps());
                double[] q = matvec(wqkv, 0, xb, d, d);
                double[] k = matvec(wqkv, d * d, xb, kvDim, d);
                double[] v = matvec(wqkv, d * d + kvDim * d, xb, kvDim, d);
                for (int i = 0; i < d; i += 2) {           // RoPE, as run.c
                    int headDim = i % hs;
                    double freq = 1.0 / Math.pow(c.ropeTheta(), headDim / (double) hs);
                    double val = pos * freq, fcr = Math.cos(val), fci = Math.sin(val);
                    int rotn = i < kvDim ? 2 : 1;
                    for (int vi = 0; vi < rotn; vi++) {
                        double[] vec = vi == 0 ? q : k;
                        double v0 = vec[i], v1 = vec[i + 1];
                        vec[i] = v0 * fcr - v1 * fci;
                        vec[i + 1] = v0 * fci + v1 * fcr;
                    }
                }
                keyCache[l][pos] = k;
                valueCache[l][pos] = v;
                double[] att = new double[d];
                for (int h = 0; h < c.nHeads(); h++) {
                    int kvh = h / g;
                    double[] scores = new double[pos + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= pos; s++) {
                        double dot = 0;
                        for (int i = 0; i < hs; i++) dot += q[h * hs + i] * keyCache[l][s][kvh * hs + i];
                        scores[s] = dot / Math.sqrt(hs);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= pos; s++) sum += scores[s] = Math.exp(scores[s] - max);
                    for (int s = 0; s <= pos; s++) {
                        for (int i = 0; i < hs; i++) att[h * hs + i] += scores[s] / sum * valueCache[l][s][kvh * hs + i];
                    }
                }
                double[] o = matvec(p.get(pre + "attention.wo.weight").toFloatArray(), 0, att, d, d);
                for (int i = 0; i < d; i++) x[i] += o[i];
                xb = rmsnorm(x, p.get(pre + "ffn_norm.weight").toFloatArray(), c.normEps());
                float[] w13 = p.get(pre + "feed_forward.w13.weight").toFloatArray();
                double[] h1 = matvec(w13, 0, xb, hd, d), h3 = matvec(w13, hd * d, xb, hd, d);
                for (int i = 0; i < hd; i++) h1[i] = h1[i] / (1 + Math.exp(-h1[i])) * h3[i];
                double[] f = matvec(p.get(pre + "feed_forward.w2.weight").toFloatArray(), 0, h1, d, hd);
                for (int i = 0; i < d; i++) x[i] += f[i];
            }
            x = rmsnorm(x, p.get("norm.weight").toFloatArray(), c.normEps());
            out[pos] = matvec(cls, 0, x, c.vocabSize(), d);
        }
        return out;
    }

    static double[] rmsnorm(double[] x, float[] w, float eps) {
        double ss = 0;
        for (double v : x) ss += v * v;
        ss = 1 / Math.sqrt(ss / x.length + eps);
        double[] o = new double[x.length];
        for (int i = 0; i < x.length; i++) o[i] = w[i] * ss * x[i];
        return o;
    }

    /** W (rows × cols, row-major from offset) times x. */
    static double[] matvec(float[] w, int offset, double[] x, int rows, int cols) {
        double[] o = new double[rows];
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int j = 0; j < cols; j++) s += w[offset + i * cols + j] * x[j];
            o[i] = s;
        }
        return o;
    }
}
