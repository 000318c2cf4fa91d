package dev.tandem.rl.rewards;

import dev.tandem.reward.RewardModel;

import java.util.List;

/**
 * A programmatic reward: the AFINN sentiment of the response (the sum of its words' scores, divided by
 * {@code scale}); the prompt is ignored. Not learned from people, so {@link #programmatic()} is true.
 */
public final class SentimentReward implements RewardModel {
    private final Afinn lexicon;
    private final float scale;

    public SentimentReward(Afinn lexicon, float scale) {
        if (!(scale > 0)) throw new IllegalArgumentException("scale must be > 0, got " + scale);
        this.lexicon = lexicon;
        this.scale = scale;
    }

    @Override
    public float[] score(List<String> prompts, List<String> responses) {
        if (prompts.size() != responses.size()) throw new IllegalArgumentException("prompts and responses differ in count");
        float[] out = new float[responses.size()];
        for (int i = 0; i < out.length; i++) out[i] = lexicon.score(responses.get(i)) / scale;
        return out;
    }

    @Override
    public String name() { return "builtin:sentiment"; }

    @Override
    public boolean programmatic() { return true; }
}
