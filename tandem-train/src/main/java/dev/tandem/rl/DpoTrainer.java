package dev.tandem.rl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tandem.model.GraphScalars;
import dev.tandem.model.Llama;
import dev.tandem.model.SequenceBatch;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.train.DataParallel;
import dev.tandem.train.Gradients;
import dev.tandem.train.Schedules;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO and IPO from preference pairs. The reference (a frozen copy of the starting model) scores every pair once, up
 * front; each step then runs one batched forward of the policy over the chosen and the rejected responses of a
 * minibatch together.
 */
public final class DpoTrainer extends SupervisedTrainer {
    private final DpoConfig cfg;
    private final List<PreferencePairs.Pair> train, eval;
    private final Llama reference;
    private final float[][] trainRef, evalRef; // [pair] → {chosen, rejected}

    /** Sequence log-probs of a batch of pairs: chosen [n] and rejected [n] (sums, or means for IPO). */
    public record PairLogps(float[] chosen, float[] rejected) {}

    public DpoTrainer(DpoConfig cfg, Llama initial, Tokenizer tok, Path tokenizerFile, List<PreferencePairs.Pair> train,
            List<PreferencePairs.Pair> eval) {
        super(initial, tok, tokenizerFile, cfg.weightDecay(), cfg.steps(), cfg.evalEvery(), cfg.checkpointEvery(),
                cfg.keepCheckpoints());
        if (train.isEmpty()) {
            super.close();
            throw new IllegalArgumentException("no training pairs");
        }
        this.cfg = cfg;
        this.train = List.copyOf(train);
        this.eval = List.copyOf(eval.subList(0, Math.min(eval.size(), cfg.maxEvalPairs())));
        this.reference = initial.copy(false);
        reference.setTrainable(false);
        this.trainRef = referenceTable(this.train);
        this.evalRef = referenceTable(this.eval);
    }

    @Override
    public String algorithm() { return cfg.loss() == PreferenceLoss.Kind.IPO ? "ipo" : "dpo"; }

    private float[][] referenceTable(List<PreferencePairs.Pair> pairs) {
        float[][] out = new float[pairs.size()][];
        for (int i = 0; i < pairs.size(); i += cfg.batchSize()) {
            List<PreferencePairs.Pair> chunk = pairs.subList(i, Math.min(pairs.size(), i + cfg.batchSize()));
            PairLogps r = referenceLogps(chunk);
            for (int j = 0; j < chunk.size(); j++) out[i + j] = new float[] {r.chosen()[j], r.rejected()[j]};
        }
        return out;
    }

    /** The reference's sequence log-probs of some pairs (one batched no-grad forward). */
    public PairLogps referenceLogps(List<PreferencePairs.Pair> pairs) {
        return scoreNoGrad(reference, pairs);
    }

    /** Sequence log-probs of the pairs under {@code model}, no graph; split over the shard threads when there are shards. */
    private PairLogps scoreNoGrad(Llama model, List<PreferencePairs.Pair> pairs) {
        int n = pairs.size();
        if (parallel == null || n < 2) return scorePart(model, pairs);
        List<java.util.function.Supplier<PairLogps>> work = new ArrayList<>();
        for (DataParallel.Part p : parallel.split(n)) work.add(() -> scorePart(model, pairs.subList(p.from(), p.to())));
        float[] c = new float[n], r = new float[n];
        int at = 0;
        for (PairLogps p : parallel.map(work)) {
            System.arraycopy(p.chosen(), 0, c, at, p.chosen().length);
            System.arraycopy(p.rejected(), 0, r, at, p.rejected().length);
            at += p.chosen().length;
        }
        return new PairLogps(c, r);
    }

    private PairLogps scorePart(Llama model, List<PreferencePairs.Pair> pairs) {
        try (NoGrad ignored = NoGrad.enter(); NDManager m = model.manager().newSubManager()) {
            SequenceBatch b = pack(m, pairs);
            float[] all = sequenceLogps(model, b).toFloatArray();
            int n = pairs.size();
            return new PairLogps(java.util.Arrays.copyOfRange(all, 0, n), java.util.Arrays.copyOfRange(all, n, 2 * n));
        }
    }

    /** Chosen rows first, then rejected rows. */
    private static SequenceBatch pack(NDManager m, List<PreferencePairs.Pair> pairs) {
        int n = pairs.size();
        int[][] p = new int[2 * n][], r = new int[2 * n][];
        for (int i = 0; i < n; i++) {
            p[i] = p[n + i] = pairs.get(i).prompt();
            r[i] = pairs.get(i).chosen();
            r[n + i] = pairs.get(i).rejected();
        }
        return SequenceBatch.ofSharedPrompts(m, p, r, PolicyTrainer.PAD); // each prompt runs once
    }

    /** [2n] sequence log-probs: sums of token log-probs, or their means for IPO. */
    private NDArray sequenceLogps(Llama model, SequenceBatch b) {
        NDArray tokenLogp = TokenScores.forward(model, b, 1f, false, false).logp();
        NDArray sums = tokenLogp.sum(new int[] {1});
        return cfg.loss() == PreferenceLoss.Kind.IPO ? sums.div(b.responseMask().sum(new int[] {1})) : sums;
    }

    @Override
    public Map<String, Double> step(long step) {
        long t0 = System.nanoTime();
        int n = cfg.batchSize(), size = train.size();
        List<PreferencePairs.Pair> batch = new ArrayList<>(n);
        float[] refC = new float[n], refR = new float[n];
        long cachedPass = -1;
        int[] perm = null;
        for (int i = 0; i < n; i++) {
            long g = (step - 1) * n + i, pass = g / size;
            if (pass != cachedPass) {
                perm = Seeds.permutation(size, Seeds.mix(cfg.seed(), 0x4450, pass));
                cachedPass = pass;
            }
            int idx = perm[(int) (g % size)];
            batch.add(train.get(idx));
            refC[i] = trainRef[idx][0];
            refR[i] = trainRef[idx][1];
        }
        Map<String, Double> m = trainOn(batch, new PairLogps(refC, refR), step - 1);
        m.put("time/step", (System.nanoTime() - t0) / 1e9);
        return m;
    }

    /**
     * One optimiser step on a batch of pairs given their reference log-probs; {@code update} (from 0) drives the
     * learning-rate schedule.
     */
    public Map<String, Double> trainOn(List<PreferencePairs.Pair> batch, PairLogps ref, long update) {
        int n = batch.size();
        Map<String, Double> out = new LinkedHashMap<>();
        opt.zeroGradients();
        if (parallel != null) backwardInShards(batch, ref, out);
        else backward(batch, ref, out);
        float norm = Gradients.clipNorm(params, cfg.maxGradNorm());
        float lr = Schedules.warmupCosine(update, cfg.warmupSteps(), cfg.steps(), cfg.learningRate(), cfg.minLrRatio());
        boolean skipped = !stepIfFinite(norm, lr, update + 1);
        out.put("grad_norm", (double) norm);
        out.put("skipped_updates", skipped ? 1.0 : 0.0);
        out.put("lr", (double) lr);
        return out;
    }

    /** The loss over the whole batch and its backward pass, on the calling thread. */
    private void backward(List<PreferencePairs.Pair> batch, PairLogps ref, Map<String, Double> out) {
        int n = batch.size();
        try (NDManager m = policy.manager().newSubManager()) {
            SequenceBatch b = pack(m, batch);
            PreferenceLoss.Terms t;
            NDArray logps;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                logps = sequenceLogps(policy, b);
                NDList split = logps.split(2);
                t = PreferenceLoss.compute(cfg.loss(), split.get(0), split.get(1), m.create(ref.chosen()),
                        m.create(ref.rejected()), cfg.beta(), cfg.labelSmoothing());
                gc.backward(t.loss());
            }
            putTerms(out, "", t, n);
            float[] lp = logps.toFloatArray();
            double c = 0, r = 0;
            for (int i = 0; i < n; i++) {
                c += lp[i];
                r += lp[n + i];
            }
            out.put("logps/chosen", c / n);
            out.put("logps/rejected", r / n);
        }
    }

    /** One shard's part of a batch: its loss (a mean over its pairs), implicit rewards, accuracies and log-probs. */
    private record ShardTerms(float loss, float[] chosen, float[] rejected, float[] accuracies, float[] logps) {}

    /**
     * The batch's pairs split into contiguous parts, one per shard ({@link DataParallel}), each part's mean loss
     * weighted by its share of the pairs, so that the summed gradient is the one-thread step's.
     */
    private void backwardInShards(List<PreferencePairs.Pair> batch, PairLogps ref, Map<String, Double> out) {
        int n = batch.size();
        List<DataParallel.Task<ShardTerms>> tasks = new ArrayList<>();
        for (DataParallel.Part p : parallel.split(n)) {
            int from = p.from(), to = p.to();
            float share = p.size() / (float) n;
            tasks.add((replica, m) -> {
                SequenceBatch b = pack(m, batch.subList(from, to));
                NDArray logps = sequenceLogps(replica, b);
                NDList split = logps.split(2);
                PreferenceLoss.Terms t = PreferenceLoss.compute(cfg.loss(), split.get(0), split.get(1),
                        m.create(java.util.Arrays.copyOfRange(ref.chosen(), from, to)),
                        m.create(java.util.Arrays.copyOfRange(ref.rejected(), from, to)), cfg.beta(), cfg.labelSmoothing());
                ShardTerms terms = new ShardTerms(t.loss().getFloat(), t.chosen().toFloatArray(),
                        t.rejected().toFloatArray(), t.accuracies().toFloatArray(), logps.toFloatArray());
                return new DataParallel.Shard<>(t.loss().mul(GraphScalars.of(t.loss(), share)), terms);
            });
        }
        float[] c = new float[n], r = new float[n], a = new float[n];
        double loss = 0, lc = 0, lr = 0;
        int at = 0;
        for (ShardTerms t : parallel.run(tasks)) {
            int len = t.chosen().length;
            System.arraycopy(t.chosen(), 0, c, at, len);
            System.arraycopy(t.rejected(), 0, r, at, len);
            System.arraycopy(t.accuracies(), 0, a, at, len);
            loss += t.loss() * (double) len / n;
            for (int i = 0; i < len; i++) {
                lc += t.logps()[i];
                lr += t.logps()[len + i];
            }
            at += len;
        }
        putTerms(out, "", (float) loss, c, r, a, n);
        out.put("logps/chosen", lc / n);
        out.put("logps/rejected", lr / n);
    }

    private static void putTerms(Map<String, Double> out, String prefix, PreferenceLoss.Terms t, int n) {
        putTerms(out, prefix, t.loss().getFloat(), t.chosen().toFloatArray(), t.rejected().toFloatArray(),
                t.accuracies().toFloatArray(), n);
    }

    private static void putTerms(Map<String, Double> out, String prefix, float loss, float[] c, float[] r, float[] a,
            int n) {
        double sc = 0, sr = 0, sa = 0;
        for (int i = 0; i < n; i++) {
            sc += c[i];
            sr += r[i];
            sa += a[i];
        }
        out.put(prefix + "loss", (double) loss);
        out.put(prefix + "rewards/chosen", sc / n);
        out.put(prefix + "rewards/rejected", sr / n);
        out.put(prefix + "rewards/accuracies", sa / n);
        out.put(prefix + "rewards/margins", (sc - sr) / n);
    }

    @Override
    public Map<String, Double> evaluate() {
        if (eval.isEmpty()) return Map.of();
        double loss = 0, chosen = 0, rejected = 0, acc = 0;
        int total = 0;
        for (int i = 0; i < eval.size(); i += cfg.batchSize()) {
            List<PreferencePairs.Pair> chunk = eval.subList(i, Math.min(eval.size(), i + cfg.batchSize()));
            int n = chunk.size();
            PairLogps pol = scoreNoGrad(policy, chunk);
            float[] rc = new float[n], rr = new float[n];
            for (int j = 0; j < n; j++) {
                rc[j] = evalRef[i + j][0];
                rr[j] = evalRef[i + j][1];
            }
            try (NDManager m = policy.manager().newSubManager()) {
                PreferenceLoss.Terms t = PreferenceLoss.compute(cfg.loss(), m.create(pol.chosen()),
                        m.create(pol.rejected()), m.create(rc), m.create(rr), cfg.beta(), cfg.labelSmoothing());
                Map<String, Double> part = new LinkedHashMap<>();
                putTerms(part, "", t, n);
                loss += part.get("loss") * n;
                chosen += part.get("rewards/chosen") * n;
                rejected += part.get("rewards/rejected") * n;
                acc += part.get("rewards/accuracies") * n;
            }
            total += n;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("eval/loss", loss / total);
        out.put("eval/rewards/chosen", chosen / total);
        out.put("eval/rewards/rejected", rejected / total);
        out.put("eval/rewards/accuracies", acc / total);
        out.put("eval/rewards/margins", (chosen - rejected) / total);
        return out;
    }

    @Override
    public void close() {
        PolicyTrainer.closeQuietly(reference);
        super.close();
    }
}
