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
import dev.tandem.train.DataParallel;
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

    /**
     * Whether {@link #loss}'s diagnostics (clip fraction, approx-KL, ratio, KL) are means over response tokens (GRPO)
     * rather than over responses (RLOO); the loss itself is a mean over responses for both. Data-parallel shards weight
     * each part's figures accordingly.
     */
    abstract boolean tokenMeanDiagnostics();

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
                policyOpt.zeroGradients();
                Terms terms = parallel() != null ? backwardInShards(promptTokens, responses, logp, refLogp, adv, rows) : null;
                if (terms == null) terms = backward(promptTokens, responses, logp, refLogp, adv, rows);
                float norm = Gradients.clipNorm(policyParams, c.maxGradNorm());
                if (!Float.isFinite(norm)) {
                    skipped++;
                    warnings.nonFinite(step, "gradient norm " + norm + "; loss " + terms.loss());
                    continue;
                }
                gradNorm += norm;
                lr = Schedules.warmupCosine(policyOpt.steps(), c.warmupSteps(), totalUpdates, c.learningRate(),
                        c.minLrRatio());
                policyOpt.step(lr);
                ratios.add((double) terms.ratioMean());
                approx.add((double) terms.approxKl());
                loss += terms.loss();
                clip += terms.clipFrac();
                entropy += terms.entropy();
                tokenKl += terms.kl();
                n++;
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

    /** A minibatch's loss and diagnostics, as numbers. */
    private record Terms(float loss, float clipFrac, float approxKl, float ratioMean, float kl, float entropy) {}

    /** A minibatch's loss to back-propagate and its figures. */
    private record Loss(NDArray value, Terms terms) {}

    private Loss loss(Llama model, NDManager m, int[][] promptTokens, int[][] responses, float[][] logp,
            float[][] refLogp, float[] adv, int[] rows) {
        SequenceBatch batch = SequenceBatch.ofSharedPrompts(m, select(promptTokens, rows), select(responses, rows),
                PAD); // a group's samples share their prompt
        int tr = batch.responseWidth();
        NDArray oldLp = TokenScores.padded(m, logp, rows, tr);
        NDArray refLp = TokenScores.padded(m, refLogp, rows, tr);
        float[] a = new float[rows.length];
        for (int i = 0; i < rows.length; i++) a[i] = adv[rows[i]];
        TokenScores.Out out = TokenScores.forward(model, batch, c.temperature(), true, false, false);
        GroupLoss.Terms t = loss(out.logp(), oldLp, refLp, m.create(a), batch.responseMask());
        NDArray ent = Masked.mean(out.entropy(), batch.responseMask());
        return new Loss(t.loss(), new Terms(t.loss().getFloat(), t.clipFrac().getFloat(), t.approxKl().getFloat(),
                t.ratioMean().getFloat(), t.kl().getFloat(), ent.getFloat()));
    }

    /** The loss of the minibatch {@code rows} and its backward pass, on the calling thread. */
    private Terms backward(int[][] promptTokens, int[][] responses, float[][] logp, float[][] refLogp, float[] adv,
            int[] rows) {
        try (NDManager m = policy.manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Loss l = loss(policy, m, promptTokens, responses, logp, refLogp, adv, rows);
            gc.backward(l.value());
            return l.terms();
        }
    }

    /**
     * The minibatch's rows split into contiguous parts, one per shard ({@link DataParallel}): each part's loss (a mean
     * over its responses) weighted by its share of the rows, its diagnostics by their share of the rows or the response
     * tokens ({@link #tokenMeanDiagnostics}), its entropy by the tokens; null (one thread) when a part has no tokens.
     */
    private Terms backwardInShards(int[][] promptTokens, int[][] responses, float[][] logp, float[][] refLogp,
            float[] adv, int[] rows) {
        DataParallel parallel = parallel();
        long total = tokens(responses, rows);
        List<DataParallel.Part> parts = parallel.split(rows.length);
        float[] rowShare = new float[parts.size()], tokenShare = new float[parts.size()];
        List<DataParallel.Task<Terms>> tasks = new ArrayList<>();
        for (int k = 0; k < parts.size(); k++) {
            int[] part = Arrays.copyOfRange(rows, parts.get(k).from(), parts.get(k).to());
            long tokens = tokens(responses, part);
            if (tokens == 0) return null;
            float share = rowShare[k] = part.length / (float) rows.length;
            tokenShare[k] = tokens / (float) total;
            tasks.add((replica, m) -> {
                Loss l = loss(replica, m, promptTokens, responses, logp, refLogp, adv, part);
                return new DataParallel.Shard<>(l.value().mul(GraphScalars.of(l.value(), share)), l.terms());
            });
        }
        List<Terms> terms = parallel.run(tasks);
        float loss = 0, clip = 0, approxKl = 0, ratio = 0, kl = 0, entropy = 0;
        for (int k = 0; k < parts.size(); k++) {
            Terms t = terms.get(k);
            float d = tokenMeanDiagnostics() ? tokenShare[k] : rowShare[k];
            loss += rowShare[k] * t.loss();
            clip += d * t.clipFrac();
            approxKl += d * t.approxKl();
            ratio += d * t.ratioMean();
            kl += d * t.kl();
            entropy += tokenShare[k] * t.entropy();
        }
        return new Terms(loss, clip, approxKl, ratio, kl, entropy);
    }
}
