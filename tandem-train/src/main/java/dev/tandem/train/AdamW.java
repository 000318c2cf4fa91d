package dev.tandem.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter, "Decoupled Weight Decay Regularization"):
 *
 * <pre>
 *   m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
 *   p ← p − lr·wd·p − lr · (m / (1−β1ᵗ)) / (sqrt(v / (1−β2ᵗ)) + eps)
 * </pre>
 *
 * The moment estimates live in this optimizer's own manager; parameters are updated in place. Call {@link #step}
 * outside any {@code GradientCollector}, after {@code backward}.
 */
public final class AdamW implements AutoCloseable {

    /** Hyper-parameters; the learning rate is given to each {@link #step}, so schedules stay outside. */
    public record Config(float beta1, float beta2, float eps, float weightDecay) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
            if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
            if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        }

        public static Config defaults() {
            return new Config(0.9f, 0.999f, 1e-8f, 0f);
        }

        public Config withWeightDecay(float wd) {
            return new Config(beta1, beta2, eps, wd);
        }
    }

    private final List<NDArray> params;
    private final Config cfg;
    private final NDManager manager;
    private final NDArray[] m, v;
    private long t;

    public AdamW(List<NDArray> params, Config cfg) {
        if (params.isEmpty()) throw new IllegalArgumentException("no parameters to optimise");
        this.params = List.copyOf(params);
        this.cfg = cfg;
        this.manager = params.get(0).getManager().newSubManager();
        this.m = new NDArray[params.size()];
        this.v = new NDArray[params.size()];
        for (int i = 0; i < params.size(); i++) {
            m[i] = manager.zeros(params.get(i).getShape());
            v[i] = manager.zeros(params.get(i).getShape());
        }
    }

    /** One update with learning rate {@code lr} from each parameter's current gradient. */
    public void step(float lr) {
        t++;
        float bc1 = 1f - (float) Math.pow(cfg.beta1(), t);
        float bc2 = 1f - (float) Math.pow(cfg.beta2(), t);
        float stepSize = lr / bc1;
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(bc2));
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            // Results of an op land in the manager of its first operand; every temporary is moved to tmp so that
            // nothing accumulates in the model's or the optimizer's manager across steps.
            try (NDManager tmp = manager.newSubManager()) {
                NDArray g = in(tmp, p.getGradient()); // a new handle on the gradient each call
                m[i].muli(cfg.beta1()).addi(g.mul(1f - cfg.beta1()));
                v[i].muli(cfg.beta2()).addi(g.square().muli(1f - cfg.beta2()));
                NDArray denom = in(tmp, v[i].sqrt()).muli(invSqrtBc2).addi(cfg.eps());
                if (cfg.weightDecay() > 0) p.subi(in(tmp, p.mul(lr * cfg.weightDecay())));
                p.subi(in(tmp, m[i].div(denom)).muli(stepSize));
            }
        }
    }

    private static NDArray in(NDManager tmp, NDArray a) {
        a.attach(tmp);
        return a;
    }

    /** Zeroes every parameter's gradient (also NaN ones): DJL accumulates gradients across backward passes. */
    public void zeroGradients() {
        for (NDArray p : params) JniUtils.zeroGrad((PtNDArray) p);
    }

    /** Number of steps taken. */
    public long steps() {
        return t;
    }

    /** Moments and step count, for checkpoints (keys {@code m.i}, {@code v.i}, {@code t}). */
    public Map<String, float[]> state() {
        Map<String, float[]> s = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            s.put("m." + i, m[i].toFloatArray());
            s.put("v." + i, v[i].toFloatArray());
        }
        s.put("t", new float[] {Float.intBitsToFloat((int) (t >>> 32)), Float.intBitsToFloat((int) t)});
        return s;
    }

    public void loadState(Map<String, float[]> s) {
        for (int i = 0; i < params.size(); i++) {
            float[] mi = s.get("m." + i), vi = s.get("v." + i);
            if (mi == null || vi == null || mi.length != m[i].size() || vi.length != v[i].size()) {
                throw new IllegalArgumentException("optimizer state does not match parameter " + i + " " + params.get(i).getShape());
            }
            m[i].set(mi);
            v[i].set(vi);
        }
        float[] ts = s.get("t");
        if (ts == null || ts.length != 2) throw new IllegalArgumentException("optimizer state lacks its step count");
        t = ((long) Float.floatToRawIntBits(ts[0]) << 32) | (Float.floatToRawIntBits(ts[1]) & 0xffffffffL);
    }

    @Override
    public void close() {
        manager.close();
    }
}
