package dev.tandem.rl;

import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.PreferenceData;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Preference records tokenised for DPO: every decisive pair (rankings expanded), prompt with BOS (keeping its last
 * tokens), responses with EOS (keeping their first tokens). Pairs whose two responses are identical after
 * truncation teach nothing and are dropped (counted in {@link #dropped}).
 */
public record PreferencePairs(List<Pair> pairs, int dropped) {

    public record Pair(int[] prompt, int[] chosen, int[] rejected) {}

    public static PreferencePairs of(PreferenceData data, Tokenizer tok, int maxPromptTokens, int maxResponseTokens) {
        List<Pair> out = new ArrayList<>();
        int dropped = 0;
        for (PreferenceRecord r : data.records()) {
            List<PreferenceRecord.Pair> pairs = r instanceof PreferenceRecord.Ranked k ? k.pairs() : List.of((PreferenceRecord.Pair) r);
            for (PreferenceRecord.Pair p : pairs) {
                int[] prompt = tok.encode(p.prompt(), true, false);
                if (prompt.length > maxPromptTokens) {
                    int[] cut = new int[maxPromptTokens];
                    cut[0] = prompt[0];
                    System.arraycopy(prompt, prompt.length - (maxPromptTokens - 1), cut, 1, maxPromptTokens - 1);
                    prompt = cut;
                }
                int[] chosen = truncate(tok.encode(p.chosen(), false, true), maxResponseTokens);
                int[] rejected = truncate(tok.encode(p.rejected(), false, true), maxResponseTokens);
                if (Arrays.equals(chosen, rejected)) {
                    dropped++;
                    continue;
                }
                out.add(new Pair(prompt, chosen, rejected));
            }
        }
        return new PreferencePairs(List.copyOf(out), dropped);
    }

    private static int[] truncate(int[] t, int max) {
        return t.length > max ? Arrays.copyOf(t, max) : t;
    }

    public int size() { return pairs.size(); }
}
