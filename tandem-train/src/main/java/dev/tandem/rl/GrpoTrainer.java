package dev.tandem.rl;

import ai.djl.ndarray.NDArray;
import dev.tandem.model.Llama;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.RewardModel;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** GRPO: group-normalised scores as advantages, a k3 KL term to the reference in the loss. See {@link GrpoConfig}. */
public final class GrpoTrainer extends GroupTrainer {
    private final GrpoConfig cfg;

    public GrpoTrainer(GrpoConfig cfg, Llama initial, Tokenizer tok, Path tokenizerFile, RewardModel reward,
            List<String> promptTexts) {
        super(new Common(cfg.promptsPerStep(), cfg.samplesPerPrompt(), cfg.maxNewTokens(), cfg.temperature(),
                cfg.stopAtEos(), cfg.learningRate(), cfg.warmupSteps(), cfg.minLrRatio(), cfg.epochs(),
                cfg.minibatches(), cfg.clipRange(), cfg.maxGradNorm(), cfg.seed(), cfg.steps()),
                cfg.weightDecay(), cfg.run(), initial, tok, tokenizerFile, reward, promptTexts);
        this.cfg = cfg;
    }

    @Override
    public String algorithm() { return "grpo"; }

    @Override
    float[] advantages(float[] scores, float[] sequenceKl, boolean[] finished, Map<String, Double> metrics) {
        return GroupAdvantages.grpo(scores, cfg.samplesPerPrompt(), cfg.scaleRewards(), 1e-4f);
    }

    @Override
    GroupLoss.Terms loss(NDArray logp, NDArray oldLogp, NDArray refLogp, NDArray advantages, NDArray mask) {
        return GroupLoss.grpo(logp, oldLogp, refLogp, advantages, mask, cfg.clipRange(), cfg.beta());
    }

    @Override
    KlEstimator klEstimator() { return KlEstimator.K3; }

    @Override
    boolean tokenMeanDiagnostics() { return true; } // clip fraction, approx-KL, ratio and KL are token means
}
