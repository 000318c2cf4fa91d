package dev.tandem.rl;

import ai.djl.ndarray.NDArray;
import dev.tandem.model.Llama;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.RewardModel;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * RLOO: reward = score − β·Σ_t KL_t (and a penalty for responses without EOS), advantage = reward minus the mean
 * reward of the other samples of the same prompt. See {@link RlooConfig}.
 */
public final class RlooTrainer extends GroupTrainer {
    private final RlooConfig cfg;

    public RlooTrainer(RlooConfig cfg, Llama initial, Tokenizer tok, Path tokenizerFile, RewardModel reward,
            List<String> promptTexts) {
        super(new Common(cfg.promptsPerStep(), cfg.samplesPerPrompt(), cfg.maxNewTokens(), cfg.temperature(),
                cfg.stopAtEos(), cfg.learningRate(), cfg.warmupSteps(), cfg.minLrRatio(), cfg.epochs(),
                cfg.minibatches(), cfg.clipRange(), cfg.maxGradNorm(), cfg.seed(), cfg.steps()),
                cfg.weightDecay(), cfg.run(), initial, tok, tokenizerFile, reward, promptTexts);
        this.cfg = cfg;
    }

    @Override
    public String algorithm() { return "rloo"; }

    @Override
    float[] advantages(float[] scores, float[] sequenceKl, boolean[] finished, Map<String, Double> metrics) {
        float[] r = new float[scores.length];
        double nonScore = 0;
        for (int i = 0; i < r.length; i++) {
            float penalty = cfg.stopAtEos() && !finished[i] ? cfg.missingEosPenalty() : 0f;
            r[i] = scores[i] - penalty - cfg.klCoef() * sequenceKl[i];
            nonScore -= cfg.klCoef() * sequenceKl[i];
        }
        float[] adv = GroupAdvantages.rloo(r, cfg.samplesPerPrompt());
        if (cfg.normalizeAdvantages()) adv = Masked.whiten(new float[][] {adv}, true)[0];
        metrics.put("objective/non_score_reward", nonScore / r.length);
        metrics.put("objective/rlhf_reward", mean(r));
        return adv;
    }

    @Override
    GroupLoss.Terms loss(NDArray logp, NDArray oldLogp, NDArray refLogp, NDArray advantages, NDArray mask) {
        return GroupLoss.rloo(logp, oldLogp, advantages, mask, cfg.clipRange());
    }

    @Override
    KlEstimator klEstimator() { return cfg.klEstimator(); }

    @Override
    boolean tokenMeanDiagnostics() { return false; } // whole-sequence ratios: every figure is a mean over responses
}
