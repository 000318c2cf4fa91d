package dev.tandem.rl;

import java.util.Map;

/**
 * One policy-optimisation step's outcome.
 *
 * @param metrics           metrics under TRL's names
 * @param rollout           the sampled responses
 * @param logp              per-token log-probs of the rollout from the batched scoring forward (before any update)
 * @param scores            raw reward-model scores
 * @param sequenceKl        per response, Σ_t KL_t to the reference
 * @param minibatchRatios   mean ratio π/π_old of each optimiser update, in order (the first precedes any update)
 * @param minibatchApproxKl approximate KL ½·mean(Δ²) of each update
 */
public record StepResult(long step, Map<String, Double> metrics, Rollout rollout, float[][] logp, float[] scores,
        float[] sequenceKl, double[] minibatchRatios, double[] minibatchApproxKl) {}
