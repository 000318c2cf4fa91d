package dev.tandem.rl;

import ai.djl.ndarray.NDManager;
import dev.tandem.model.JavaSampler;
import dev.tandem.model.Llama;
import dev.tandem.model.SequenceBatch;

/**
 * The rollout's no-gradient scoring — old log-probs, values, reference log-probs — per response token. On small
 * models it runs on the SIMD path of {@link JavaSampler#score} (teacher-forced, the sampler's own forward; equal to
 * the libtorch forward to float rounding, see SamplerConsistencyTest), otherwise as one libtorch forward with
 * {@link TokenScores}. Only the optimisation phase needs libtorch's autograd.
 */
final class NoGradScores {
    private NoGradScores() {}

    /** Per response token: log-probs at the temperature, and the scalar head's values if asked for (else null). */
    record Out(float[][] logp, float[][] values) {}

    /**
     * The policy's scores of its own rollout: log-probs, and the scalar head's values if asked for. On the SIMD path
     * the sampler already computed them with the very forward the teacher-forced scorer would repeat (bit for bit, see
     * SamplerConsistencyTest) — the log-probs always, the values when it was asked to read them
     * ({@link Rollout#sampleWithValues}) — so they are reused; otherwise the policy is scored once.
     */
    static Out policy(Llama policy, Rollout rollout, float temperature, boolean withValues) {
        if (JavaSampler.suits(policy.config()) && (!withValues || rollout.samplerValues() != null)) {
            return new Out(rollout.samplerLogp(), withValues ? rollout.samplerValues() : null);
        }
        return score(policy, rollout.promptTokens(), rollout.responses(), temperature, withValues);
    }

    static Out score(Llama model, int[][] prompts, int[][] responses, float temperature, boolean withValues) {
        if (JavaSampler.suits(model.config())) {
            JavaSampler.Scores s = new JavaSampler(model, new int[0], PolicyTrainer.PAD)
                    .score(prompts, responses, temperature, withValues);
            return new Out(s.logProbs(), s.values());
        }
        try (NoGrad ignored = NoGrad.enter(); NDManager m = model.manager().newSubManager()) {
            SequenceBatch batch = SequenceBatch.of(m, prompts, responses, PolicyTrainer.PAD);
            TokenScores.Out out = TokenScores.forward(model, batch, temperature, false, withValues);
            return new Out(TokenScores.rows(out.logp(), responses),
                    withValues ? TokenScores.rows(out.values(), responses) : null);
        }
    }
}
