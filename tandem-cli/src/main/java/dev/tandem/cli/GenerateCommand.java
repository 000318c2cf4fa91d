package dev.tandem.cli;

import dev.tandem.model.Generation;
import dev.tandem.model.Models;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.Sampler;
import dev.tandem.model.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code tandem generate}: continues a prompt. Prints the prompt and its continuation as llama2.c's run.c does
 * (BOS's following space stripped, byte tokens as raw bytes), then a newline, and nothing else.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt with a model and print the text.",
                "Total positions = BOS + prompt tokens + --max-new-tokens; llama2.c's `run -n N` corresponds to "
                        + "--max-new-tokens N - (prompt tokens + 1)."})
public final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = {"-p", "--prompt"}, defaultValue = "", description = "The prompt text (default: empty).")
    String prompt;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 for greedy decoding (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely tokens (0: all).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling threshold (1: off).")
    float topP;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--sampler", defaultValue = "auto",
            description = "auto, java (SIMD kernels, small models) or torch (libtorch); all give the same text.")
    String sampler;

    @Option(names = "--num-samples", defaultValue = "1",
            description = "Continuations to sample as one batch; printed one after another, separated by a blank line.")
    int numSamples;

    @Override
    public Integer call() throws IOException {
        if (numSamples < 1) throw new UserException("--num-samples must be at least 1");
        SamplingConfig cfg;
        try {
            cfg = new SamplingConfig(temperature, topK, topP, maxNewTokens, seed, true);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        try (Models.Loaded loaded = modelOptions.load()) {
            Tokenizer tok = loaded.tokenizer();
            int[] promptIds = tok.encode(prompt, true, false);
            int[][] prompts = new int[numSamples][];
            for (int i = 0; i < numSamples; i++) prompts[i] = promptIds;
            if (promptIds.length + maxNewTokens - 1 > loaded.model().config().seqLen()) {
                throw new UserException("the prompt (" + promptIds.length + " tokens with BOS) plus --max-new-tokens "
                        + maxNewTokens + " exceeds the model's " + loaded.model().config().seqLen() + " positions");
            }
            Generation gen = Samplers.choose(sampler, loaded).generate(prompts, cfg);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int s = 0; s < numSamples; s++) {
                if (s > 0) out.write('\n');
                out.writeBytes(tok.decodeBytes(concat(promptIds, gen.tokens()[s], tok)));
                out.write('\n');
            }
            PrintStream stdout = System.out;
            stdout.write(out.toByteArray());
            stdout.flush();
        }
        return 0;
    }

    /** The prompt and the continuation without its stop token. */
    static int[] concat(int[] prompt, int[] continuation, Tokenizer tok) {
        int n = continuation.length;
        if (n > 0 && (continuation[n - 1] == tok.eos() || continuation[n - 1] == tok.bos())) n--;
        int[] all = new int[prompt.length + n];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(continuation, 0, all, prompt.length, n);
        return all;
    }
}
