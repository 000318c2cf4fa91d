package dev.tandem.model;

import dev.tandem.model.tokenizer.Tokenizer;

/**
 * Batched sampling from a model: prompts in, continuations with their log-probs out.
 *
 * <p>Two implementations compute the same thing: {@link TorchSampler} runs on libtorch through DJL (best for large
 * models, whose matmuls dominate) and {@link JavaSampler} runs llama2.c-style kernels in plain Java (best for small
 * models, where libtorch's per-op overhead dominates). Tests hold them to each other and to llama2.c's output.
 */
public sealed interface Sampler permits TorchSampler, JavaSampler {

    Generation generate(int[][] prompts, SamplingConfig cfg);

    /** Stop tokens of a tokenizer: its EOS and, as llama2.c does, its BOS. */
    static int[] stopTokens(Tokenizer tok) {
        return java.util.stream.IntStream.of(tok.eos(), tok.bos()).filter(t -> t >= 0).distinct().toArray();
    }

    /** The sampler that is faster for this model's size. */
    static Sampler forModel(Llama model, Tokenizer tok) {
        return forModel(model, stopTokens(tok));
    }

    static Sampler forModel(Llama model, int[] stopTokens) {
        return JavaSampler.suits(model.config()) ? new JavaSampler(model, stopTokens, 0)
                : new TorchSampler(model, stopTokens, 0);
    }
}
