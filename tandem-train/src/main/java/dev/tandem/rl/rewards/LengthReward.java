package dev.tandem.rl.rewards;

import dev.tandem.reward.RewardModel;

import java.util.List;

/**
 * A programmatic reward for hitting a target length: {@code 1 − |words − target| / target}, so 1 at the target,
 * 0 for an empty response (or one twice as long), negative beyond. The prompt is ignored.
 */
public final class LengthReward implements RewardModel {
    private final int targetWords;

    public LengthReward(int targetWords) {
        if (targetWords < 1) throw new IllegalArgumentException("target length must be >= 1 word, got " + targetWords);
        this.targetWords = targetWords;
    }

    @Override
    public float[] score(List<String> prompts, List<String> responses) {
        if (prompts.size() != responses.size()) throw new IllegalArgumentException("prompts and responses differ in count");
        float[] out = new float[responses.size()];
        for (int i = 0; i < out.length; i++) {
            int n = Afinn.words(responses.get(i)).size();
            out[i] = 1f - Math.abs(n - targetWords) / (float) targetWords;
        }
        return out;
    }

    public int targetWords() { return targetWords; }

    @Override
    public String name() { return "builtin:length:" + targetWords; }

    @Override
    public boolean programmatic() { return true; }
}
