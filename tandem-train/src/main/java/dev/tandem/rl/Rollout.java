package dev.tandem.rl;

import dev.tandem.model.Generation;
import dev.tandem.model.JavaSampler;
import dev.tandem.model.Llama;
import dev.tandem.model.Sampler;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.tokenizer.Tokenizer;

import java.util.List;

/**
 * Responses sampled from the policy for a batch of prompts, with the sampler's own log-probs.
 *
 * @param prompts      prompt texts
 * @param promptTokens encoded prompts (BOS first)
 * @param responses    sampled tokens per row; a finished row ends with its stop token
 * @param samplerLogp  log-probs the sampler drew them with
 * @param finished     whether each row stopped at EOS within the limit
 * @param texts        decoded responses (the stop token prints nothing)
 * @param samplerValues the policy's scalar head at each response token, read by the sampler's own forward
 *                      ({@link #sampleWithValues}), or null
 */
public record Rollout(List<String> prompts, int[][] promptTokens, int[][] responses, float[][] samplerLogp,
        boolean[] finished, List<String> texts, float[][] samplerValues) {

    /** Samples with the fast batched sampler (a fresh snapshot of the policy's current weights). */
    public static Rollout sample(Llama policy, Tokenizer tok, List<String> prompts, int[][] promptTokens,
            SamplingConfig cfg) {
        return of(prompts, promptTokens, Sampler.forModel(policy, tok).generate(promptTokens, cfg), null, tok);
    }

    /**
     * Samples on the SIMD path and reads the policy's scalar head in the same forward (the values PPO's shared value
     * head needs, without scoring the rollout again). The policy must have a head. A model the SIMD path does not
     * suit ({@link JavaSampler#suits}) is sampled as {@link #sample} does, without values.
     */
    public static Rollout sampleWithValues(Llama policy, Tokenizer tok, List<String> prompts, int[][] promptTokens,
            SamplingConfig cfg) {
        if (!JavaSampler.suits(policy.config())) return sample(policy, tok, prompts, promptTokens, cfg);
        JavaSampler.Sampled s = new JavaSampler(policy, Sampler.stopTokens(tok), 0).generateWithValues(promptTokens, cfg);
        return of(prompts, promptTokens, s.generation(), s.values(), tok);
    }

    private static Rollout of(List<String> prompts, int[][] promptTokens, Generation g, float[][] values,
            Tokenizer tok) {
        String[] texts = new String[g.rows()];
        for (int b = 0; b < texts.length; b++) texts[b] = tok.decode(g.tokens()[b]);
        return new Rollout(List.copyOf(prompts), promptTokens, g.tokens(), g.logProbs(), g.finished(), List.of(texts),
                values);
    }

    public int rows() { return responses.length; }

    public double meanLength() {
        long n = 0;
        for (int[] r : responses) n += r.length;
        return (double) n / responses.length;
    }
}
