package dev.tandem.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.tandem.model.GraphScalars;

/**
 * Losses on preference pairs from sequence log-probs of the policy and of a frozen reference, with
 * {@code h = (log π(y_w) − log π(y_l)) − (log π_ref(y_w) − log π_ref(y_l))}:
 *
 * <ul>
 *   <li>{@link Kind#SIGMOID} — DPO (Rafailov et al. 2023): {@code −(1−s)·log σ(β·h) − s·log σ(−β·h)}, with label
 *       smoothing s (conservative DPO; 0 is plain DPO).</li>
 *   <li>{@link Kind#IPO} — IPO (Azar et al. 2023): {@code (h − 1/(2β))²}; as in the paper and TRL, callers pass
 *       length-averaged log-probs.</li>
 * </ul>
 * Implicit rewards are {@code β·(log π − log π_ref)} for each side.
 */
public final class PreferenceLoss {
    private PreferenceLoss() {}

    public enum Kind {
        SIGMOID, IPO;

        public static Kind parse(String s) {
            return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "sigmoid", "dpo" -> SIGMOID;
                case "ipo" -> IPO;
                default -> throw new IllegalArgumentException("unknown preference loss '" + s + "': use sigmoid or ipo");
            };
        }
    }

    /**
     * Mean loss and per-pair diagnostics (the latter without gradient).
     *
     * @param loss       scalar
     * @param chosen     [B] implicit reward of the chosen responses
     * @param rejected   [B] implicit reward of the rejected responses
     * @param accuracies [B] 1 where chosen > rejected
     */
    public record Terms(NDArray loss, NDArray chosen, NDArray rejected, NDArray accuracies) {}

    public static Terms compute(Kind kind, NDArray policyChosen, NDArray policyRejected, NDArray refChosen,
            NDArray refRejected, float beta, float labelSmoothing) {
        NDArray chosenRatio = policyChosen.sub(refChosen);
        NDArray rejectedRatio = policyRejected.sub(refRejected);
        NDArray h = chosenRatio.sub(rejectedRatio);
        NDArray losses = switch (kind) {
            case SIGMOID -> {
                NDArray z = h.mul(GraphScalars.of(h, beta));
                NDArray ls = logSigmoid(z);
                NDArray l = ls.mul(GraphScalars.of(ls, -(1f - labelSmoothing)));
                if (labelSmoothing == 0f) yield l;
                NDArray lr = logSigmoid(z.neg());
                yield l.sub(lr.mul(GraphScalars.of(lr, labelSmoothing)));
            }
            case IPO -> h.sub(1f / (2f * beta)).square();
        };
        NDArray chosen = chosenRatio.stopGradient().mul(beta);
        NDArray rejected = rejectedRatio.stopGradient().mul(beta);
        return new Terms(losses.mean(), chosen, rejected, chosen.gt(rejected).toType(DataType.FLOAT32, false));
    }

    /** log σ(z) = −softplus(−z), stable for large |z|. */
    static NDArray logSigmoid(NDArray z) {
        return Activation.softPlus(z.neg()).neg();
    }
}
