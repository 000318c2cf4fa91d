package dev.tandem.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.tandem.model.GraphScalars;

/**
 * Policy losses of the group methods, over padded [B, T] token arrays with sequence advantages [B].
 *
 * <ul>
 *   <li>{@link #grpo}: DeepSeekMath's GRPO objective, per token
 *       {@code −min(ρ·A, clip(ρ, 1−ε, 1+ε)·A) + β·k3(π ‖ π_ref)}, averaged over each response's tokens and then
 *       over responses.</li>
 *   <li>{@link #rloo}: the clipped surrogate on whole-sequence ratios {@code ρ = exp(Σ_t log π − Σ_t log π_old)}, as
 *       TRL's RLOO trainer (with one update per batch it is REINFORCE with the leave-one-out baseline).</li>
 * </ul>
 */
public final class GroupLoss {
    private GroupLoss() {}

    /** Loss and diagnostics (scalars, diagnostics without gradient). {@code kl} is NaN where not computed. */
    public record Terms(NDArray loss, NDArray clipFrac, NDArray approxKl, NDArray ratioMean, NDArray kl) {}

    public static Terms grpo(NDArray logp, NDArray oldLogp, NDArray refLogp, NDArray advantages, NDArray mask,
            float clip, float beta) {
        NDArray a = advantages.reshape(-1, 1);
        NDArray diff = logp.sub(oldLogp);
        NDArray ratio = diff.exp();
        NDArray s1 = ratio.mul(a), s2 = ratio.clip(1f - clip, 1f + clip).mul(a);
        NDArray perToken = s1.minimum(s2).neg();
        NDArray kl = KlEstimator.K3.of(logp, refLogp);
        if (beta != 0) perToken = perToken.add(kl.mul(GraphScalars.of(kl, beta)));
        NDArray perSeq = perToken.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}));
        NDArray d = diff.stopGradient();
        NDArray clipFrac = Masked.mean(s2.stopGradient().lt(s1.stopGradient()).toType(DataType.FLOAT32, false), mask);
        return new Terms(perSeq.mean(), clipFrac, Masked.mean(d.square(), mask).mul(0.5f), Masked.mean(d.exp(), mask),
                Masked.mean(kl.stopGradient(), mask));
    }

    public static Terms rloo(NDArray logp, NDArray oldLogp, NDArray advantages, NDArray mask, float clip) {
        NDArray diff = logp.mul(mask).sum(new int[] {1}).sub(oldLogp.mul(mask).sum(new int[] {1})); // [B]
        NDArray ratio = diff.exp();
        NDArray l1 = advantages.neg().mul(ratio), l2 = advantages.neg().mul(ratio.clip(1f - clip, 1f + clip));
        NDArray d = diff.stopGradient();
        NDArray clipFrac = l2.stopGradient().gt(l1.stopGradient()).toType(DataType.FLOAT32, false).mean();
        return new Terms(l1.maximum(l2).mean(), clipFrac, d.square().mean().mul(0.5f), d.exp().mean(),
                d.getManager().create(Float.NaN));
    }
}
