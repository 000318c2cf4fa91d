package dev.tandem.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.tandem.model.GraphScalars;

/**
 * PPO's clipped objectives (Schulman et al. 2017) in TRL's form, over padded [B, T] token arrays with a mask.
 *
 * <pre>
 *   ratio      = exp(logp − logp_old)
 *   policy     = mean_mask max(−A·ratio, −A·clip(ratio, 1 − ε, 1 + ε))
 *   value      = ½ · mean_mask max((V − R)², (clip(V, V_old − ε_v, V_old + ε_v) − R)²)
 * </pre>
 * Diagnostics (clip fractions, approximate KL ½·mean(Δ²), mean ratio) carry no gradient.
 */
public final class PpoLoss {
    private PpoLoss() {}

    /** The clipped surrogate and its diagnostics (all scalars). */
    public record PolicyTerms(NDArray loss, NDArray clipFrac, NDArray approxKl, NDArray ratioMean) {}

    /** The clipped value loss and the fraction of tokens where clipping was active (scalars). */
    public record ValueTerms(NDArray loss, NDArray clipFrac) {}

    public static PolicyTerms policy(NDArray logp, NDArray oldLogp, NDArray advantages, NDArray mask, float clip) {
        NDArray diff = logp.sub(oldLogp);
        NDArray ratio = diff.exp();
        NDArray unclipped = advantages.neg().mul(ratio);
        NDArray clipped = advantages.neg().mul(ratio.clip(1f - clip, 1f + clip));
        NDArray loss = Masked.mean(unclipped.maximum(clipped), mask);
        NDArray d = diff.stopGradient();
        NDArray clipFrac = Masked.mean(clipped.stopGradient().gt(unclipped.stopGradient()).toType(DataType.FLOAT32, false), mask);
        NDArray approxKl = Masked.mean(d.square(), mask).mul(0.5f);
        NDArray ratioMean = Masked.mean(d.exp(), mask);
        return new PolicyTerms(loss, clipFrac, approxKl, ratioMean);
    }

    public static ValueTerms value(NDArray values, NDArray oldValues, NDArray returns, NDArray mask, float clip) {
        NDArray clippedValues = values.maximum(oldValues.sub(clip)).minimum(oldValues.add(clip));
        NDArray l1 = values.sub(returns).square();
        NDArray l2 = clippedValues.sub(returns).square();
        NDArray mean = Masked.mean(l1.maximum(l2), mask);
        NDArray loss = mean.mul(GraphScalars.of(mean, 0.5f));
        NDArray clipFrac = Masked.mean(l2.stopGradient().gt(l1.stopGradient()).toType(DataType.FLOAT32, false), mask);
        return new ValueTerms(loss, clipFrac);
    }
}
