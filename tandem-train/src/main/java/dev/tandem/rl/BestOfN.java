package dev.tandem.rl;

import dev.tandem.model.Llama;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.RewardModel;

import java.util.ArrayList;
import java.util.List;

/**
 * Best-of-n sampling, the baseline every fine-tuning method should beat: draw n responses per prompt from the
 * unchanged policy (all prompts in one batched sampler call) and keep the one the reward model scores highest. Its
 * KL from the policy is at most {@code log n − (n − 1)/n} (Stiennon et al. 2020), with no training at all.
 */
public final class BestOfN {
    private BestOfN() {}

    /**
     * @param n             samples per prompt
     * @param maxNewTokens  response length limit
     * @param temperature   sampling temperature
     * @param seed          sampler seed
     */
    public record Config(int n, int maxNewTokens, float temperature, long seed) {
        public Config {
            Checks.positive("n", n);
            Checks.positive("maxNewTokens", maxNewTokens);
            Checks.positive("temperature", temperature);
        }
    }

    /** One prompt's outcome: the best response and every candidate's score. */
    public record Choice(String prompt, String best, float bestScore, List<String> candidates, float[] scores) {
        public double meanScore() {
            double s = 0;
            for (float v : scores) s += v;
            return s / scores.length;
        }
    }

    /** The n-sample analytic KL bound {@code log n − (n − 1)/n} in nats. */
    public static double klBound(int n) {
        return Math.log(n) - (n - 1.0) / n;
    }

    public static List<Choice> run(Llama policy, Tokenizer tok, RewardModel reward, List<String> prompts, Config cfg) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
        int n = cfg.n(), rows = prompts.size() * n;
        PromptSource source = new PromptSource(prompts, tok, PolicyTrainer.promptRoom(policy, cfg.maxNewTokens()), cfg.seed());
        int[] idx = new int[rows];
        for (int i = 0; i < rows; i++) idx[i] = i / n;
        SamplingConfig sc = new SamplingConfig(cfg.temperature(), 0, 1f, cfg.maxNewTokens(), cfg.seed(), true);
        Rollout r = Rollout.sample(policy, tok, source.texts(idx), source.tokens(idx), sc);
        float[] scores = reward.score(r.prompts(), r.texts());
        List<Choice> out = new ArrayList<>(prompts.size());
        for (int p = 0; p < prompts.size(); p++) {
            int best = p * n;
            for (int i = p * n; i < (p + 1) * n; i++) if (scores[i] > scores[best]) best = i;
            out.add(new Choice(prompts.get(p), r.texts().get(best), scores[best], r.texts().subList(p * n, (p + 1) * n),
                    java.util.Arrays.copyOfRange(scores, p * n, (p + 1) * n)));
        }
        return out;
    }
}
