package dev.tandem.rl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Signs that a policy-optimisation run is going wrong, each reported once (on stderr, through the log) with a hint.
 * The first step's statistics are the baseline; they are saved with checkpoints so a resumed run judges the same way.
 */
public final class TrainingWarnings {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingWarnings.class);

    public enum Kind { NON_FINITE_GRADIENT, NEGATIVE_KL, RATIO_FAR_FROM_ONE, ENTROPY_COLLAPSE, EOS_COLLAPSE, LENGTH_LIMIT_COLLAPSE, REWARD_HACKING }

    /**
     * One step's statistics. NaN marks what an algorithm does not measure.
     *
     * @param kl              mean KL(π ‖ π_ref) per sequence
     * @param ratio           mean probability ratio π/π_old over the optimisation phase
     * @param entropy         mean per-token entropy of the policy
     * @param meanLength      mean response length in tokens
     * @param truncated       fraction of responses that hit the length limit without EOS (NaN when EOS is ignored)
     * @param score           mean reward-model score
     * @param klLimit         sequence KL above which a rising reward is suspect
     */
    public record Observation(long step, double kl, double ratio, double entropy, double meanLength, double truncated,
            double score, double klLimit) {}

    private final Set<Kind> fired = EnumSet.noneOf(Kind.class);
    private final List<String> messages = new ArrayList<>();
    private Observation baseline;

    public void check(Observation o) {
        if (baseline == null) baseline = o;
        if (o.kl() < -0.05) {
            warn(Kind.NEGATIVE_KL, o, String.format(Locale.ROOT, "mean KL to the reference is negative (%.3f nats)", o.kl()),
                    "a true KL is never negative: log-probs used for the penalty do not match the sampling distribution "
                            + "(check the temperature and padding), or the k1 estimator is noisy; try --kl-estimator k3");
        }
        if (o.ratio() > 1.5 || o.ratio() < 1 / 1.5) {
            warn(Kind.RATIO_FAR_FROM_ONE, o, String.format(Locale.ROOT, "mean policy ratio π/π_old is %.3f", o.ratio()),
                    "updates move the policy too far per rollout; lower the learning rate, the epochs, or set an "
                            + "approximate-KL early stop");
        }
        if (baseline.entropy() > 0.1 && o.entropy() < 0.2 * baseline.entropy()) {
            warn(Kind.ENTROPY_COLLAPSE, o, String.format(Locale.ROOT, "policy entropy collapsed from %.3f to %.3f nats per token",
                    baseline.entropy(), o.entropy()),
                    "the policy has become nearly deterministic; raise the KL coefficient or add an entropy bonus");
        }
        if (baseline.meanLength() > 3 && o.meanLength() <= 1.5) {
            warn(Kind.EOS_COLLAPSE, o, String.format(Locale.ROOT, "responses collapsed to EOS (mean length %.2f tokens)", o.meanLength()),
                    "the policy learned that ending at once scores best; check the reward for empty responses and "
                            + "raise the KL coefficient");
        }
        if (!Double.isNaN(o.truncated()) && baseline.truncated() < 0.5 && o.truncated() >= 0.95) {
            warn(Kind.LENGTH_LIMIT_COLLAPSE, o, String.format(Locale.ROOT, "%.0f%% of responses hit the length limit (%.0f%% at first)",
                    100 * o.truncated(), 100 * baseline.truncated()),
                    "the policy stopped ending its responses; the reward likely favours length — set a penalty for "
                            + "responses without EOS (--missing-eos-penalty) or a higher KL coefficient");
        }
        if (o.kl() > o.klLimit() && o.score() > baseline.score() && o.step() > baseline.step()) {
            warn(Kind.REWARD_HACKING, o, String.format(Locale.ROOT,
                    "reward rose (%.3f → %.3f) while the KL to the reference exploded (%.2f nats per response)",
                    baseline.score(), o.score(), o.kl()),
                    "the policy is likely exploiting the reward; read samples.jsonl, raise the KL coefficient or set "
                            + "--target-kl, lower the learning rate");
        }
    }

    /** A minibatch whose gradients were not finite; its update was skipped. */
    public void nonFinite(long step, String what) {
        warn(Kind.NON_FINITE_GRADIENT, step, "non-finite gradients (" + what + "); the update was skipped",
                "lower the learning rate; check the reward model for NaN or huge scores (try reward clipping)");
    }

    private void warn(Kind kind, Observation o, String what, String hint) {
        warn(kind, o.step(), what, hint);
    }

    private void warn(Kind kind, long step, String what, String hint) {
        if (!fired.add(kind)) return;
        String message = "step " + step + ": " + what + ". Hint: " + hint + ".";
        messages.add(message);
        LOG.warn(message);
    }

    public Set<Kind> fired() { return EnumSet.copyOf(fired); }

    public List<String> messages() { return List.copyOf(messages); }

    /** Baseline and fired warnings, for checkpoints. */
    public ObjectNode state() {
        ObjectNode n = TrainingRun.JSON.createObjectNode();
        if (baseline != null) n.set("baseline", TrainingRun.JSON.valueToTree(baseline));
        var arr = n.putArray("fired");
        fired.forEach(k -> arr.add(k.name()));
        return n;
    }

    public void restore(ObjectNode n) {
        if (n == null) return;
        if (n.has("baseline")) baseline = TrainingRun.JSON.convertValue(n.get("baseline"), Observation.class);
        fired.clear();
        n.path("fired").forEach(k -> fired.add(Kind.valueOf(k.asText())));
    }
}
