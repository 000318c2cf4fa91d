package dev.tandem.rl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.model.Llama;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.SequenceBatch;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.RewardModel;
import dev.tandem.train.Gradients;
import dev.tandem.train.Schedules;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The group methods (GRPO, RLOO): each step samples k responses for each of P prompts, scores them with one no-grad
 * forward of the policy and one of the reference, turns the rewards into per-response advantages with a baseline
 * from the other samples of the same prompt, then takes clipped policy-gradient updates. No value model.
 */
public abstract sealed class GroupTrainer extends PolicyTrainer permits GrpoTrainer, RlooTrainer {

    /** The settings both methods share. */
    record Common(int promptsPerStep, int k, int maxNewTokens, float temperature, boolean stopAtEos, float learningRate,
            int warmupSteps, float minLrRatio, int epochs, int minibatches, float clipRange, float maxGradNorm,
            long seed, int steps) {}

    private final Common c;

    GroupTrainer(Common c, float weightDecay, RunSettings run, Llama initial, Tokenizer tok, Path tokenizerFile,
            RewardModel reward, List<String> promptTexts) {
        super(initial, false, tok, tokenizerFile, reward, promptTexts, c.maxNewTokens(), weightDecay, c.seed(), run);
        this.c = c;
    }

    /** Per-response advantages from raw scores (groups of k consecutive rows); adds its own metrics. */
    abstract float[] advantages(float[] scores, float[] sequenceKl, boolean[] finished, Map<String, Double> metrics);

    /** The loss for a minibatch. */
    abstract GroupLoss.Terms loss(NDArray logp, NDArray oldLogp, NDArray refLogp, NDArray advantages, NDArray mask);

    /** The per-token estimator used for the logged (and, for RLOO, penalised) sequence KL. */
    abstract KlEstimator klEstimator();

    @Override
    public StepResult step(long step) {
        long t0 = System.nanoTime();
        int p = c.promptsPerStep(), k = c.k(), b = p * k;
        int[] promptIdx = prompts.batch(step - 1, p);
        int[] idx = new int[b];
        for (int i = 0; i < b; i++) idx[i] = promptIdx[i / k];
        List<String> promptTexts = prompts.texts(idx);
        int[][] promptTokens = prompts.tokens(idx);
        SamplingConfig sc = new SamplingConfig(c.temperature(), 0, 1f, c.maxNewTokens(), Seeds.mix(c.seed(), step, 1),
                c.stopAtEos());
        Rollout rollout = Rollout.sample(policy, tok, promptTexts, promptTokens, sc);
        int[][] responses = rollout.responses();
        long t1 = System.nanoTime();

        float[][] logp = NoGradScores.policy(policy, rollout, c.temperature(), false).logp();
        float[][] refLogp = NoGradScores.score(reference, promptTokens, responses, c.temperature(), false).logp();
        float[] raw = reward.score(promptTexts, rollout.texts());
        if (raw.length != b) throw new IllegalStateException("reward model returned " + raw.length + " scores for " + b + " responses");
        long t2 = System.nanoTime();

        float[] seqKl = new float[b];
        double negLogp = 0;
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < responses[i].length; t++) {
                seqKl[i] += (float) klEstimator().of(logp[i][t], refLogp[i][t]);
                negLogp -= logp[i][t];
            }
        }
        Map<String, Double> mtr = new LinkedHashMap<>();
        float[] adv = advantages(raw, seqKl, rollout.finished(), mtr);

        // ---- optimise
        int mb = b / c.minibatches();
        long totalUpdates = (long) c.steps() * c.epochs() * c.minibatches();
        List<Double> ratios = new ArrayList<>(), approx = new ArrayList<>();
        double loss = 0, clip = 0, entropy = 0, gradNorm = 0, tokenKl = 0;
        float lr = 0;
        int n = 0, skipped = 0;
        for (int epoch = 0; epoch < c.epochs(); epoch++) {
            int[] perm = Seeds.permutation(b, Seeds.mix(c.seed(), step, 2, epoch));
            for (int q = 0; q < c.minibatches(); q++) {
                int[] rows = Arrays.copyOfRange(perm, q * mb, (q + 1) * mb);
                try (NDManager m = policy.manager().newSubManager()) {
                    SequenceBatch batch = SequenceBatch.ofSharedPrompts(m, select(promptTokens, rows),
                            select(responses, rows), PAD); // a group's samples share their prompt
                    int tr = batch.responseWidth();
                    NDArray oldLp = TokenScores.padded(m, logp, rows, tr);
                    NDArray refLp = TokenScores.padded(m, refLogp, rows, tr);
                    float[] a = new float[rows.length];
                    for (int i = 0; i < rows.length; i++) a[i] = adv[rows[i]];
                    NDArray advantages = m.create(a);
                    policyOpt.zeroGradients();
                    GroupLoss.Terms terms;
                    NDArray ent;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        TokenScores.Out out = TokenScores.forward(policy, batch, c.temperature(), true, false, false);
                        terms = loss(out.logp(), oldLp, refLp, advantages, batch.responseMask());
                        ent = Masked.mean(out.entropy(), batch.responseMask());
                        gc.backward(terms.loss());
                    }
                    float norm = Gradients.clipNorm(policyParams, c.maxGradNorm());
                    if (!Float.isFinite(norm)) {
                        skipped++;
                        warnings.nonFinite(step, "gradient norm " + norm + "; loss " + terms.loss().getFloat());
                        continue;
                    }
                    gradNorm += norm;
                    lr = Schedules.warmupCosine(policyOpt.steps(), c.warmupSteps(), totalUpdates, c.learningRate(),
                            c.minLrRatio());
                    policyOpt.step(lr);
                    ratios.add((double) terms.ratioMean().getFloat());
                    approx.add((double) terms.approxKl().getFloat());
                    loss += terms.loss().getFloat();
                    clip += terms.clipFrac().getFloat();
                    entropy += ent.getFloat();
                    tokenKl += terms.kl().getFloat();
                    n++;
                }
            }
        }
        long t3 = System.nanoTime();
        n = Math.max(n, 1);

        double meanKl = mean(seqKl), meanRaw = mean(raw);
        double ratioMean = ratios.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        mtr.put("objective/scores", meanRaw);
        mtr.put("objective/kl", meanKl);
        mtr.put("objective/entropy", negLogp / b);
        mtr.put("reward", meanRaw);
        mtr.put("reward_std", std(raw));
        mtr.put("frac_reward_zero_std", GroupAdvantages.zeroSpreadFraction(raw, k));
        mtr.put("kl", Double.isNaN(tokenKl) ? meanKl : tokenKl / n);
        mtr.put("loss", loss / n);
        mtr.put("clip_ratio", clip / n);
        mtr.put("policy/approxkl_avg", approx.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
        mtr.put("policy/entropy_avg", entropy / n);
        mtr.put("val/ratio", ratioMean);
        mtr.put("val/num_eos_tokens", (double) count(responses, tok.eos()));
        mtr.put("val/truncated_frac", c.stopAtEos() ? fractionUnfinished(rollout.finished()) : Double.NaN);
        mtr.put("completion_length", rollout.meanLength());
        mtr.put("response/length_mean", rollout.meanLength());
        mtr.put("grad_norm", gradNorm / n);
        mtr.put("policy/skipped_updates", (double) skipped);
        mtr.put("lr", (double) lr);
        mtr.put("time/generate", (t1 - t0) / 1e9);
        mtr.put("time/score", (t2 - t1) / 1e9);
        mtr.put("time/optimise", (t3 - t2) / 1e9);
        mtr.put("time/step", (t3 - t0) / 1e9);
        warnings.check(new TrainingWarnings.Observation(step, meanKl, ratioMean, entropy / n, rollout.meanLength(),
                mtr.get("val/truncated_frac"), meanRaw, 25));
        return new StepResult(step, mtr, rollout, logp, raw, seqKl,
                ratios.stream().mapToDouble(Double::doubleValue).toArray(),
                approx.stream().mapToDouble(Double::doubleValue).toArray());
    }

    @Override
    protected void saveState(ObjectNode trainer, Map<String, Llama> models, Map<String, Map<String, float[]>> opts) {}

    @Override
    protected void restoreState(TrainingRun.State state) {}
}
