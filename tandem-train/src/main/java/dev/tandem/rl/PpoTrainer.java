package dev.tandem.rl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.model.GraphScalars;
import dev.tandem.model.Llama;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.SequenceBatch;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.RewardModel;
import dev.tandem.train.AdamW;
import dev.tandem.train.DataParallel;
import dev.tandem.train.Gradients;
import dev.tandem.train.Schedules;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PPO for language models as in Ziegler et al. 2019 and InstructGPT, in TRL's form.
 *
 * <p>Each step: sample responses from the policy with the batched sampler; score them with one no-grad forward of
 * the policy (log-probs, and values when the head shares the trunk), one of the frozen reference and, if separate,
 * one of the value model; ask the reward model for a score. The per-token reward is {@code −β·KL} at every
 * response token plus the (optionally penalised, normalised, clipped) score at the last one. GAE gives advantages
 * (whitened) and returns; then a few epochs over shuffled minibatches minimise the clipped surrogate plus the
 * clipped value loss (minus an entropy bonus), with gradient clipping and an approximate-KL early stop. β is fixed or
 * follows Ziegler's controller.
 */
public final class PpoTrainer extends PolicyTrainer {
    private final PpoConfig cfg;
    private final Llama valueModel;          // null when the value head shares the policy's trunk
    private final List<NDArray> valueParams;
    private final AdamW valueOpt;
    private final KlController kl;
    private final RunningMoments moments = new RunningMoments();

    /**
     * Sets up policy, reference and value model as copies of {@code initial} (which the caller keeps).
     *
     * @param tokenizerFile the tokenizer file carried into checkpoints (null: none)
     */
    public PpoTrainer(PpoConfig cfg, Llama initial, Tokenizer tok, Path tokenizerFile, RewardModel reward,
            List<String> promptTexts) {
        this(cfg, initial, tok, tokenizerFile, reward,
                new PromptSource(promptTexts, tok, promptRoom(initial, cfg.maxNewTokens()), cfg.seed()));
    }

    /** The same with prompts already encoded (benchmarks). */
    public PpoTrainer(PpoConfig cfg, Llama initial, Tokenizer tok, Path tokenizerFile, RewardModel reward,
            PromptSource prompts) {
        super(initial, cfg.valueHead() == PpoConfig.ValueHead.SHARED, tok, tokenizerFile, reward, prompts,
                cfg.maxNewTokens(), cfg.weightDecay(), new RunSettings(cfg.steps(), cfg.checkpointEvery(),
                        cfg.sampleEvery(), cfg.samplesPerLog(), cfg.keepCheckpoints()));
        this.cfg = cfg;
        Llama v = null;
        AdamW vo = null;
        try {
            if (cfg.valueHead() == PpoConfig.ValueHead.SEPARATE) {
                v = initial.copy(true);
                v.setTrainable(true);
                vo = new AdamW(new ArrayList<>(v.parameters().values()),
                        AdamW.Config.defaults().withWeightDecay(cfg.weightDecay()));
            }
        } catch (RuntimeException e) {
            closeQuietly(vo);
            closeQuietly(v);
            super.close();
            throw e;
        }
        this.valueModel = v;
        this.valueOpt = vo;
        this.valueParams = v == null ? List.of() : new ArrayList<>(v.parameters().values());
        this.kl = KlController.of(cfg.klCoef(), cfg.targetKl() > 0 ? cfg.targetKl() : null, cfg.klHorizon());
    }

    @Override
    public String algorithm() { return "ppo"; }

    /** The current KL coefficient β. */
    public float beta() { return kl.beta(); }

    @Override
    public StepResult step(long step) {
        long t0 = System.nanoTime();
        int b = cfg.batchSize();
        int[] idx = prompts.batch(step - 1, b);
        List<String> promptTexts = prompts.texts(idx);
        int[][] promptTokens = prompts.tokens(idx);
        SamplingConfig sc = new SamplingConfig(cfg.temperature(), 0, 1f, cfg.maxNewTokens(),
                Seeds.mix(cfg.seed(), step, 1), cfg.stopAtEos());
        // With the value head on the policy's trunk, the SIMD sampler reads it as it samples (see NoGradScores.policy)
        boolean shared = valueModel == null;
        Rollout rollout = shared ? Rollout.sampleWithValues(policy, tok, promptTexts, promptTokens, sc)
                : Rollout.sample(policy, tok, promptTexts, promptTokens, sc);
        int[][] responses = rollout.responses();
        long t1 = System.nanoTime();

        // ---- score: what the sampler did not compute, one no-grad forward per model, then the reward model
        NoGradScores.Out old = NoGradScores.policy(policy, rollout, cfg.temperature(), shared);
        float[][] logp = old.logp(), values;
        if (shared) {
            values = old.values();
        } else {
            try (NoGrad ignored = NoGrad.enter(); NDManager m = policy.manager().newSubManager()) {
                values = TokenScores.rows(TokenScores.values(valueModel,
                        SequenceBatch.of(m, promptTokens, responses, PAD)), responses);
            }
        }
        float[][] refLogp = NoGradScores.score(reference, promptTokens, responses, cfg.temperature(), false).logp();
        float[] raw = reward.score(promptTexts, rollout.texts());
        if (raw.length != b) throw new IllegalStateException("reward model returned " + raw.length + " scores for " + b + " responses");
        long t2 = System.nanoTime();

        // ---- rewards: shaped score at the last token, −β·KL everywhere
        float[] shaped = shapeScores(raw, rollout.finished());
        float beta = kl.beta();
        float[][] rewards = new float[b][], klTokens = new float[b][];
        float[] seqKl = new float[b];
        double nonScore = 0, negLogp = 0;
        for (int i = 0; i < b; i++) {
            int n = responses[i].length;
            rewards[i] = new float[n];
            klTokens[i] = new float[n];
            for (int t = 0; t < n; t++) {
                float k = (float) cfg.klEstimator().of(logp[i][t], refLogp[i][t]);
                klTokens[i][t] = k;
                seqKl[i] += k;
                rewards[i][t] = -beta * k;
                negLogp -= logp[i][t];
            }
            nonScore += -beta * seqKl[i];
            rewards[i][n - 1] += shaped[i];
        }
        Gae.Result gae = Gae.compute(rewards, values, cfg.gamma(), cfg.lambda());
        float[][] advantages = cfg.whitenAdvantages() ? Masked.whiten(gae.advantages(), true) : gae.advantages();

        // ---- optimise
        Optimised opt = optimise(step, promptTokens, responses, logp, values, advantages, gae.returns());
        long t3 = System.nanoTime();

        double meanKl = mean(seqKl), meanRaw = mean(raw), meanShaped = mean(shaped);
        kl.update(meanKl, b);

        Map<String, Double> mtr = new LinkedHashMap<>();
        mtr.put("objective/kl", meanKl);
        mtr.put("objective/entropy", negLogp / b);
        mtr.put("objective/non_score_reward", nonScore / b);
        mtr.put("objective/rlhf_reward", meanShaped + nonScore / b);
        mtr.put("objective/scores", meanRaw);
        mtr.put("objective/scores_std", std(raw));
        mtr.put("objective/scores_shaped", meanShaped);
        mtr.put("objective/kl_coef", (double) beta);
        mtr.putAll(opt.metrics);
        mtr.put("val/num_eos_tokens", (double) count(responses, tok.eos()));
        mtr.put("val/truncated_frac", cfg.stopAtEos() ? fractionUnfinished(rollout.finished()) : Double.NaN);
        mtr.put("response/length_mean", rollout.meanLength());
        mtr.put("time/generate", (t1 - t0) / 1e9);
        mtr.put("time/score", (t2 - t1) / 1e9);
        mtr.put("time/optimise", (t3 - t2) / 1e9);
        mtr.put("time/step", (t3 - t0) / 1e9);

        double klLimit = cfg.targetKl() > 0 ? 4 * cfg.targetKl() : 25;
        warnings.check(new TrainingWarnings.Observation(step, meanKl, mtr.get("val/ratio"),
                mtr.get("policy/entropy_avg"), rollout.meanLength(), mtr.get("val/truncated_frac"), meanRaw, klLimit));
        return new StepResult(step, mtr, rollout, logp, raw, seqKl, opt.ratios, opt.approxKls);
    }

    private float[] shapeScores(float[] raw, boolean[] finished) {
        float[] s = raw.clone();
        if (cfg.missingEosPenalty() > 0 && cfg.stopAtEos()) {
            for (int i = 0; i < s.length; i++) if (!finished[i]) s[i] -= cfg.missingEosPenalty();
        }
        if (cfg.normalizeRewards()) {
            moments.update(s);
            double std = moments.std();
            for (int i = 0; i < s.length; i++) s[i] = (float) ((s[i] - moments.mean()) / (std > 0 ? std : 1));
        }
        if (cfg.rewardClip() > 0) {
            for (int i = 0; i < s.length; i++) s[i] = Math.max(-cfg.rewardClip(), Math.min(cfg.rewardClip(), s[i]));
        }
        return s;
    }

    private record Optimised(Map<String, Double> metrics, double[] ratios, double[] approxKls) {}

    private Optimised optimise(long step, int[][] promptTokens, int[][] responses, float[][] oldLogp,
            float[][] oldValues, float[][] advantages, float[][] returns) {
        int b = cfg.batchSize(), mb = cfg.minibatchSize();
        long totalUpdates = (long) cfg.steps() * cfg.epochs() * cfg.minibatches();
        List<Double> ratios = new ArrayList<>(), approx = new ArrayList<>();
        double pgLoss = 0, vfLoss = 0, pgClip = 0, vfClip = 0, entropy = 0, gradNorm = 0, ratioSq = 0;
        int n = 0, skipped = 0;
        boolean stopped = false;
        float lr = 0;
        outer:
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            int[] perm = Seeds.permutation(b, Seeds.mix(cfg.seed(), step, 2, epoch));
            for (int k = 0; k < cfg.minibatches(); k++) {
                int[] rows = java.util.Arrays.copyOfRange(perm, k * mb, (k + 1) * mb);
                policyOpt.zeroGradients();
                if (valueOpt != null) valueOpt.zeroGradients();
                Terms t = valueModel == null && parallel() != null
                        ? backwardInShards(promptTokens, responses, oldLogp, oldValues, advantages, returns, rows)
                        : null;
                if (t == null) t = backward(promptTokens, responses, oldLogp, oldValues, advantages, returns, rows);
                float norm = Gradients.clipNorm(policyParams, cfg.maxGradNorm());
                float valueNorm = valueOpt == null ? 0f : Gradients.clipNorm(valueParams, cfg.maxGradNorm());
                if (!Float.isFinite(norm) || !Float.isFinite(valueNorm)) {
                    skipped++;
                    warnings.nonFinite(step, "gradient norm " + norm + (valueOpt == null ? "" : ", value " + valueNorm)
                            + "; policy loss " + t.policyLoss() + ", value loss " + t.valueLoss());
                    continue;
                }
                gradNorm += norm;
                lr = Schedules.warmupCosine(policyOpt.steps(), cfg.warmupSteps(), totalUpdates, cfg.learningRate(),
                        cfg.minLrRatio());
                policyOpt.step(lr);
                if (valueOpt != null) valueOpt.step(lr);
                double ratio = t.ratio(), akl = t.approxKl();
                ratios.add(ratio);
                approx.add(akl);
                pgLoss += t.policyLoss();
                vfLoss += t.valueLoss();
                pgClip += t.clipFrac();
                vfClip += t.valueClipFrac();
                entropy += t.entropy();
                ratioSq += ratio * ratio;
                n++;
                if (cfg.earlyStopKl() > 0 && akl > cfg.earlyStopKl()) {
                    stopped = true;
                    break outer;
                }
            }
        }
        Map<String, Double> mtr = new LinkedHashMap<>();
        n = Math.max(n, 1);
        double ratioMean = ratios.isEmpty() ? Double.NaN : ratios.stream().mapToDouble(Double::doubleValue).sum() / ratios.size();
        mtr.put("policy/approxkl_avg", approx.stream().mapToDouble(Double::doubleValue).sum() / n);
        mtr.put("policy/clipfrac_avg", pgClip / n);
        mtr.put("policy/entropy_avg", entropy / n);
        mtr.put("policy/early_stop", stopped ? 1.0 : 0.0);
        mtr.put("policy/updates", (double) n);
        mtr.put("policy/skipped_updates", (double) skipped);
        mtr.put("loss/policy_avg", pgLoss / n);
        mtr.put("loss/value_avg", vfLoss / n);
        mtr.put("val/clipfrac_avg", vfClip / n);
        mtr.put("val/ratio", ratioMean);
        mtr.put("val/ratio_var", Math.max(0, ratioSq / n - ratioMean * ratioMean));
        mtr.put("grad_norm", gradNorm / n);
        mtr.put("lr", (double) lr);
        return new Optimised(mtr, ratios.stream().mapToDouble(Double::doubleValue).toArray(),
                approx.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** A minibatch's loss terms (masked means over its response tokens), as numbers. */
    private record Terms(float policyLoss, float valueLoss, float clipFrac, float valueClipFrac, float entropy,
            float ratio, float approxKl) {
        Terms plus(Terms o, float w) {
            return new Terms(policyLoss + w * o.policyLoss, valueLoss + w * o.valueLoss, clipFrac + w * o.clipFrac,
                    valueClipFrac + w * o.valueClipFrac, entropy + w * o.entropy, ratio + w * o.ratio,
                    approxKl + w * o.approxKl);
        }
    }

    /** The PPO loss of the minibatch {@code rows} and its backward pass, on the calling thread. */
    private Terms backward(int[][] promptTokens, int[][] responses, float[][] oldLogp, float[][] oldValues,
            float[][] advantages, float[][] returns, int[] rows) {
        try (NDManager m = policy.manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Loss loss = loss(policy, m, promptTokens, responses, oldLogp, oldValues, advantages, returns, rows);
            gc.backward(loss.value());
            return loss.terms();
        }
    }

    /** A minibatch's loss to back-propagate and its terms. */
    private record Loss(NDArray value, Terms terms) {}

    /** The PPO loss of the minibatch {@code rows} under {@code model}: the policy or a replica of it. */
    private Loss loss(Llama model, NDManager m, int[][] promptTokens, int[][] responses, float[][] oldLogp,
            float[][] oldValues, float[][] advantages, float[][] returns, int[] rows) {
        SequenceBatch batch = SequenceBatch.of(m, select(promptTokens, rows), select(responses, rows), PAD);
        int tr = batch.responseWidth();
        NDArray mask = batch.responseMask();
        NDArray oldLp = TokenScores.padded(m, oldLogp, rows, tr);
        NDArray adv = TokenScores.padded(m, advantages, rows, tr);
        NDArray ret = TokenScores.padded(m, returns, rows, tr);
        NDArray oldV = TokenScores.padded(m, oldValues, rows, tr);
        TokenScores.Out out = TokenScores.forward(model, batch, cfg.temperature(), true, cfg.entCoef() > 0,
                valueModel == null);
        NDArray v = valueModel == null ? out.values() : TokenScores.values(valueModel, batch);
        PpoLoss.PolicyTerms pt = PpoLoss.policy(out.logp(), oldLp, adv, mask, cfg.clipRange());
        PpoLoss.ValueTerms vt = PpoLoss.value(v, oldV, ret, mask, cfg.clipRangeValue());
        NDArray ent = Masked.mean(out.entropy(), mask);
        NDArray loss = pt.loss().add(vt.loss().mul(GraphScalars.of(vt.loss(), cfg.vfCoef())));
        if (cfg.entCoef() > 0) loss = loss.sub(ent.mul(GraphScalars.of(ent, cfg.entCoef())));
        return new Loss(loss, new Terms(pt.loss().getFloat(), vt.loss().getFloat(), pt.clipFrac().getFloat(),
                vt.clipFrac().getFloat(), ent.getFloat(), pt.ratioMean().getFloat(), pt.approxKl().getFloat()));
    }

    /**
     * The minibatch's rows split into contiguous parts, one per shard ({@link DataParallel}); each
     * part's loss, a masked mean, is weighted by its share of the response tokens, so that the summed gradient and
     * the combined terms are the one-thread step's. Null (run it on one thread) when a part would have no tokens.
     */
    private Terms backwardInShards(int[][] promptTokens, int[][] responses, float[][] oldLogp, float[][] oldValues,
            float[][] advantages, float[][] returns, int[] rows) {
        DataParallel parallel = parallel();
        long total = tokens(responses, rows);
        List<DataParallel.Part> parts = parallel.split(rows.length);
        List<DataParallel.Task<Terms>> tasks = new ArrayList<>();
        float[] shares = new float[parts.size()];
        for (int k = 0; k < parts.size(); k++) {
            int[] part = java.util.Arrays.copyOfRange(rows, parts.get(k).from(), parts.get(k).to());
            long tokens = tokens(responses, part);
            if (tokens == 0) return null;
            float share = shares[k] = tokens / (float) total;
            tasks.add((replica, m) -> {
                Loss loss = loss(replica, m, promptTokens, responses, oldLogp, oldValues, advantages, returns, part);
                return new DataParallel.Shard<>(loss.value().mul(GraphScalars.of(loss.value(), share)), loss.terms());
            });
        }
        Terms sum = new Terms(0, 0, 0, 0, 0, 0, 0);
        List<Terms> terms = parallel.run(tasks);
        for (int k = 0; k < shares.length; k++) sum = sum.plus(terms.get(k), shares[k]);
        return sum;
    }

    @Override
    protected void saveState(ObjectNode trainer, Map<String, Llama> models, Map<String, Map<String, float[]>> opts) {
        trainer.put("beta", kl.state());
        trainer.putObject("reward_moments").put("mean", moments.mean()).put("var", moments.variance())
                .put("count", moments.count());
        if (valueModel != null) {
            models.put("value", valueModel);
            opts.put("value", valueOpt.state());
        }
    }

    @Override
    protected List<String> extraModels() {
        return valueModel == null ? List.of() : List.of("value");
    }

    @Override
    protected void restoreState(TrainingRun.State s) {
        if (valueModel != null) {
            valueModel.loadFrom(s.models().get("value"));
            valueOpt.loadState(s.optimizers().get("value"));
        }
        kl.restore(s.trainer().path("beta").asDouble());
        var rm = s.trainer().path("reward_moments");
        moments.restore(rm.path("mean").asDouble(), rm.path("var").asDouble(), rm.path("count").asDouble());
    }

    @Override
    public void close() {
        closeQuietly(valueOpt);
        closeQuietly(valueModel);
        super.close();
    }
}
