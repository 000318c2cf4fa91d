package dev.tandem.loop;

import dev.tandem.model.Generation;
import dev.tandem.model.Llama;
import dev.tandem.model.Sampler;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.PreferenceData;
import dev.tandem.reward.RewardModel;
import dev.tandem.rl.DpoConfig;
import dev.tandem.rl.DpoTrainer;
import dev.tandem.rl.GrpoConfig;
import dev.tandem.rl.GrpoTrainer;
import dev.tandem.rl.PolicyTrainer;
import dev.tandem.rl.PpoConfig;
import dev.tandem.rl.PpoTrainer;
import dev.tandem.rl.PreferencePairs;
import dev.tandem.rl.RlooConfig;
import dev.tandem.rl.RlooTrainer;
import dev.tandem.rl.StepResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Step 4: fine-tunes the policy against the learned reward (PPO, GRPO, RLOO) or directly on the comparisons (DPO),
 * always with the KL leash to the ORIGINAL model: the trainers' reference is built from it, and in later rounds
 * the current policy's weights are loaded into the trainer's policy.
 *
 * <p>The gold judge only watches: it scores the rollouts for the over-optimisation chart and never reaches the
 * trainer.
 */
public final class PolicyStage {
    private PolicyStage() {}

    /**
     * One point of the training curves.
     *
     * @param round  the RLHF round (from 1)
     * @param step   the optimiser step within the round
     * @param kl     KL to the original model, nats per response
     * @param proxy  mean reward-model score of the step's responses
     * @param gold   mean hidden gold score of the same responses (reporting only)
     * @param losses the step's losses by name
     */
    public record Point(int round, long step, double kl, double proxy, double gold, Map<String, Double> losses) {}

    /** The tuned policy (language-model head only; the caller closes it) and its curve. */
    public record Tuned(Llama policy, List<Point> curve, List<String> warnings, double seconds) {}

    /**
     * What a stage needs.
     *
     * @param current the policy to continue from ({@code original} in the first round)
     * @param reward  the learned reward (PPO, GRPO, RLOO; DPO uses it only to probe the curves)
     * @param watcher the gold judge for the over-optimisation curves, or null when there is none (live loop)
     * @param dir     the policy run directory
     */
    public record Inputs(DemoConfig cfg, int round, Llama original, Llama current, Tokenizer tok, Path tokenizerFile,
            RewardModel reward, PreferenceData trainPairs, PreferenceData heldOutPairs, List<String> prompts,
            GoldJudge watcher, Path dir) {}

    public static Tuned run(Inputs in) throws IOException {
        long t0 = System.nanoTime();
        DemoConfig c = in.cfg();
        List<Point> curve = new ArrayList<>();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("algorithm", c.algorithm().id());
        spec.put("round", in.round());
        spec.put("policy", c.model());
        spec.put("reward", in.reward().name());
        spec.put("reference", "the original " + c.model());
        long seed = c.seed() * 1000 + in.round();
        if (c.algorithm() == DemoConfig.Algorithm.DPO) {
            return dpo(in, spec, seed, curve, t0);
        }
        PolicyTrainer trainer = switch (c.algorithm()) {
            case PPO -> {
                PpoConfig pc = ppoConfig(c, seed);
                spec.put("config", pc);
                yield new PpoTrainer(pc, in.original(), in.tok(), in.tokenizerFile(), in.reward(), in.prompts());
            }
            case GRPO -> {
                GrpoConfig gc = GrpoConfig.builder().steps(c.steps()).promptsPerStep(c.batchSize() / 4)
                        .samplesPerPrompt(4).maxNewTokens(c.maxNewTokens()).temperature(c.temperature())
                        .learningRate(c.learningRate()).beta(c.klCoef()).epochs(1).minibatches(1).seed(seed)
                        .checkpointEvery(0).sampleEvery(5).build();
                spec.put("config", gc);
                yield new GrpoTrainer(gc, in.original(), in.tok(), in.tokenizerFile(), in.reward(), in.prompts());
            }
            case RLOO -> {
                RlooConfig rc = RlooConfig.builder().steps(c.steps()).promptsPerStep(c.batchSize() / 4)
                        .samplesPerPrompt(4).maxNewTokens(c.maxNewTokens()).temperature(c.temperature())
                        .learningRate(c.learningRate()).klCoef(c.klCoef()).normalizeAdvantages(true).epochs(1)
                        .minibatches(1).seed(seed).checkpointEvery(0).sampleEvery(5).build();
                spec.put("config", rc);
                yield new RlooTrainer(rc, in.original(), in.tok(), in.tokenizerFile(), in.reward(), in.prompts());
            }
            case DPO -> throw new AssertionError();
        };
        try (trainer) {
            startFrom(trainer.policy(), in.current(), in.original());
            PolicyTrainer.RunResult r = trainer.train(in.dir(), spec, false, (StepResult s) -> {
                Map<String, Double> m = s.metrics();
                Map<String, Double> losses = new LinkedHashMap<>();
                for (String k : List.of("loss/policy_avg", "loss/value_avg", "loss")) {
                    if (m.containsKey(k)) losses.put(k, m.get(k));
                }
                double gold = in.watcher() == null ? Double.NaN : mean(in.watcher()::score, s.rollout().texts());
                curve.add(new Point(in.round(), s.step(), m.get("objective/kl"), m.get("objective/scores"), gold, losses));
            });
            return new Tuned(trainer.policy().copy(false), curve, r.warnings(), (System.nanoTime() - t0) / 1e9);
        }
    }

    /** The demo's PPO settings. */
    static PpoConfig ppoConfig(DemoConfig c, long seed) {
        return PpoConfig.builder().steps(c.steps()).batchSize(c.batchSize()).maxNewTokens(c.maxNewTokens())
                .temperature(c.temperature()).learningRate(c.learningRate()).klCoef(c.klCoef())
                .targetKl(c.targetKl()).normalizeRewards(true).epochs(c.ppoEpochs()).minibatches(c.ppoMinibatches()).seed(seed)
                .checkpointEvery(0).sampleEvery(5).build();
    }

    private static Tuned dpo(Inputs in, Map<String, Object> spec, long seed, List<Point> curve, long t0)
            throws IOException {
        DemoConfig c = in.cfg();
        DpoConfig dc = DpoConfig.builder().steps(c.steps()).batchSize(Math.min(16, c.batchSize()))
                .learningRate(c.learningRate()).beta(c.dpoBeta()).warmupSteps(Math.min(5, c.steps() / 5))
                .maxPromptTokens(64).maxResponseTokens(c.maxNewTokens() + 1).evalEvery(0).seed(seed)
                .checkpointEvery(0).build();
        spec.put("config", dc);
        List<PreferencePairs.Pair> train = PreferencePairs.of(in.trainPairs(), in.tok(), 64, c.maxNewTokens() + 1).pairs();
        List<PreferencePairs.Pair> eval = PreferencePairs.of(in.heldOutPairs(), in.tok(), 64, c.maxNewTokens() + 1).pairs();
        int probeEvery = Math.max(1, c.steps() / 8);
        try (DpoTrainer trainer = new DpoTrainer(dc, in.original(), in.tok(), in.tokenizerFile(), train, eval)) {
            startFrom(trainer.policy(), in.current(), in.original());
            long[] step = {0};
            trainer.train(in.dir(), spec, false, m -> {
                step[0]++;
                Map<String, Double> losses = new LinkedHashMap<>();
                losses.put("loss", m.get("loss"));
                if (step[0] % probeEvery == 0 || step[0] == c.steps()) {
                    Point p = probe(in, trainer.policy(), step[0], losses, seed);
                    curve.add(p);
                } else {
                    curve.add(new Point(in.round(), step[0], Double.NaN, Double.NaN, Double.NaN, losses));
                }
            });
            return new Tuned(trainer.policy().copy(false), curve, List.of(), (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Samples a batch from the policy on training prompts to measure KL, proxy and gold (for DPO's curves). */
    private static Point probe(Inputs in, Llama policy, long step, Map<String, Double> losses, long seed) {
        DemoConfig c = in.cfg();
        int n = c.batchSize();
        int[][] prompts = new int[n][];
        List<String> promptTexts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = in.prompts().get((int) ((step * n + i) % in.prompts().size()));
            promptTexts.add(p);
            prompts[i] = in.tok().encode(p, true, false);
        }
        SamplingConfig sc = new SamplingConfig(c.temperature(), 0, 1f, c.maxNewTokens(), seed * 7919 + step, true);
        Generation g;
        try (Llama lm = policy.copy(false)) {
            g = Sampler.forModel(lm, in.tok()).generate(prompts, sc);
            List<String> texts = new ArrayList<>();
            for (int[] t : g.tokens()) texts.add(PairGenerator.text(in.tok(), t));
            double kl = PolicyProbe.mean(PolicyProbe.sequenceKl(lm, in.original(), prompts, g.tokens(), c.temperature()));
            double proxy = PolicyProbe.mean(in.reward().score(promptTexts, texts));
            double gold = in.watcher() == null ? Double.NaN : mean(in.watcher()::score, texts);
            return new Point(in.round(), step, kl, proxy, gold, losses);
        }
    }

    /** Loads the current policy's weights into a trainer's policy (whose reference is the original model). */
    static void startFrom(Llama trainerPolicy, Llama current, Llama original) {
        if (current == original) return;
        try (Llama withHeads = current.copy(trainerPolicy.hasScalarHead())) {
            trainerPolicy.loadFrom(withHeads);
        }
    }

    static double mean(ToDoubleFunction<String> f, List<String> texts) {
        double s = 0;
        for (String t : texts) s += f.applyAsDouble(t);
        return texts.isEmpty() ? Double.NaN : s / texts.size();
    }
}
