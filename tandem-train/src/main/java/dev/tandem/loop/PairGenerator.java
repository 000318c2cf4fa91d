package dev.tandem.loop;

import dev.tandem.model.Generation;
import dev.tandem.model.Llama;
import dev.tandem.model.Progress;
import dev.tandem.model.Sampler;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Step 1: two continuations of the same opening, sampled independently from the current policy, for people (here
 * the simulated annotator) to compare.
 */
public final class PairGenerator {
    private static final int CHUNK = 64;

    private PairGenerator() {}

    /** Two responses to one prompt. */
    public record Candidate(String prompt, String first, String second) {}

    /** What generation produced: usable pairs and how many were dropped (empty or identical responses). */
    public record Batch(List<Candidate> pairs, int dropped) {}

    /**
     * Samples {@code count} pairs; prompts are drawn in seeded shuffled passes over {@code prompts}. Pairs whose two
     * texts are equal, or either is blank, teach nothing and are dropped.
     */
    public static Batch generate(Llama policy, Tokenizer tok, List<String> prompts, int count, SamplingConfig sampling,
            String label) {
        SplittableRandom rnd = new SplittableRandom(sampling.seed() ^ 0x5041495253L);
        List<String> order = new ArrayList<>();
        while (order.size() < count) {
            List<String> pass = new ArrayList<>(prompts);
            for (int i = pass.size() - 1; i > 0; i--) java.util.Collections.swap(pass, i, rnd.nextInt(i + 1));
            order.addAll(pass);
        }
        order = order.subList(0, count);
        Sampler sampler = Sampler.forModel(policy, tok);
        List<Candidate> out = new ArrayList<>();
        int dropped = 0;
        try (Progress bar = new Progress(label, 2L * count)) {
            for (int start = 0; start < count; start += CHUNK / 2) {
                int n = Math.min(CHUNK / 2, count - start);
                int[][] rows = new int[2 * n][];
                for (int i = 0; i < n; i++) rows[2 * i] = rows[2 * i + 1] = tok.encode(order.get(start + i), true, false);
                Generation g = sampler.generate(rows, sampling.withSeed(sampling.seed() + 1_000_003L * start));
                for (int i = 0; i < n; i++) {
                    String a = text(tok, g.tokens()[2 * i]), b = text(tok, g.tokens()[2 * i + 1]);
                    if (a.isBlank() || b.isBlank() || a.equals(b)) dropped++;
                    else out.add(new Candidate(order.get(start + i), a, b));
                }
                bar.update(2L * (start + n), out.size() + " pairs");
            }
        }
        return new Batch(List.copyOf(out), dropped);
    }

    /** The decoded continuation (a final stop token prints nothing), as policy rollouts decode it. */
    static String text(Tokenizer tok, int[] tokens) {
        return tok.decode(tokens);
    }
}
