package dev.tandem.rl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
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
 * Supervised fine-tuning: the mean negative log-likelihood of the response tokens (demonstrations) or of every token
 * after the first of a window (plain text), one batched forward per step.
 */
public final class SftTrainer extends SupervisedTrainer {
    private final SftConfig cfg;
    private final SftData data;

    public SftTrainer(SftConfig cfg, Llama initial, Tokenizer tok, Path tokenizerFile, SftData data) {
        super(initial, tok, tokenizerFile, cfg.weightDecay(), cfg.steps(), cfg.evalEvery(), cfg.checkpointEvery(),
                cfg.keepCheckpoints());
        this.cfg = cfg;
        this.data = data;
        int longest = 0;
        for (SftData.Example e : data.batch(0, Math.min(cfg.batchSize(), 4), cfg.seed())) {
            longest = Math.max(longest, e.prompt().length + e.response().length);
        }
        if (longest > initial.config().seqLen()) {
            throw new IllegalArgumentException("examples of " + longest + " tokens exceed the model's "
                    + initial.config().seqLen() + " positions; lower the block size or token limits");
        }
    }

    @Override
    public String algorithm() { return "sft"; }

    @Override
    public Map<String, Double> step(long step) {
        long t0 = System.nanoTime();
        List<SftData.Example> batch = data.batch(step - 1, cfg.batchSize(), cfg.seed());
        long tokens = 0;
        for (SftData.Example e : batch) tokens += e.response().length;
        opt.zeroGradients();
        Float loss = parallel != null ? backwardInShards(batch, tokens) : null;
        if (loss == null) {
            try (NDManager m = policy.manager().newSubManager()) {
                SequenceBatch b = pack(m, batch);
                NDArray l;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    l = nll(policy, b);
                    gc.backward(l);
                }
                loss = l.getFloat();
            }
        }
        float norm = Gradients.clipNorm(params, cfg.maxGradNorm());
        float lr = Schedules.warmupCosine(step - 1, cfg.warmupSteps(), cfg.steps(), cfg.learningRate(), cfg.minLrRatio());
        boolean skipped = !stepIfFinite(norm, lr, step);
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss.doubleValue());
        m.put("grad_norm", (double) norm);
        m.put("skipped_updates", skipped ? 1.0 : 0.0);
        m.put("lr", (double) lr);
        m.put("tokens_per_second", tokens / secs);
        m.put("time/step", secs);
        return m;
    }

    @Override
    public Map<String, Double> evaluate() {
        List<SftData.Example> held = data.heldOut();
        if (held.isEmpty()) return Map.of();
        double sum = 0, count = 0;
        try (NoGrad ignored = NoGrad.enter()) {
            for (int i = 0; i < held.size(); i += cfg.batchSize()) {
                try (NDManager m = policy.manager().newSubManager()) {
                    SequenceBatch b = pack(m, held.subList(i, Math.min(held.size(), i + cfg.batchSize())));
                    float n = b.responseMask().sum().getFloat();
                    sum += nll(policy, b).getFloat() * n;
                    count += n;
                }
            }
        }
        double loss = sum / count;
        return Map.of("eval/loss", loss, "eval/perplexity", Math.exp(loss));
    }

    /**
     * The batch split into contiguous parts, one per shard ({@link DataParallel}), each part's mean NLL weighted by its
     * share of the response tokens; returns the batch's mean NLL, or null (run it on one thread) when a part has none.
     */
    private Float backwardInShards(List<SftData.Example> batch, long tokens) {
        List<DataParallel.Task<Float>> tasks = new ArrayList<>();
        for (DataParallel.Part p : parallel.split(batch.size())) {
            List<SftData.Example> part = batch.subList(p.from(), p.to());
            long partTokens = 0;
            for (SftData.Example e : part) partTokens += e.response().length;
            if (partTokens == 0) return null;
            float share = partTokens / (float) tokens;
            tasks.add((replica, m) -> {
                NDArray l = nll(replica, pack(m, part));
                return new DataParallel.Shard<>(l.mul(GraphScalars.of(l, share)), l.getFloat() * share);
            });
        }
        float loss = 0;
        for (float v : parallel.run(tasks)) loss += v;
        return loss;
    }

    private static NDArray nll(Llama model, SequenceBatch b) {
        TokenScores.Out out = TokenScores.forward(model, b, 1f, false, false);
        return Masked.mean(out.logp(), b.responseMask()).neg();
    }

    private static SequenceBatch pack(NDManager m, List<SftData.Example> examples) {
        int[][] p = new int[examples.size()][], r = new int[examples.size()][];
        for (int i = 0; i < p.length; i++) {
            p[i] = examples.get(i).prompt();
            r[i] = examples.get(i).response();
        }
        return SequenceBatch.of(m, p, r, PolicyTrainer.PAD);
    }
}
