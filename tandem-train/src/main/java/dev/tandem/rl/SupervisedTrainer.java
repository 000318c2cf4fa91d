package dev.tandem.rl;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.model.Checkpoint;
import dev.tandem.model.Llama;
import dev.tandem.model.Progress;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.train.AdamW;
import dev.tandem.train.DataParallel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What SFT and DPO share: a trainable copy of the starting model, AdamW, and the run loop (evaluation before training
 * as step 0 and every {@code evalEvery} steps, metrics, checkpoints with optimizer state, resume).
 */
public abstract class SupervisedTrainer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SupervisedTrainer.class);
    protected final Llama policy;
    protected final List<NDArray> params;
    protected final AdamW opt;
    /** Data-parallel shards of the policy for the training step, or null for one thread (see {@link DataParallel}). */
    protected final DataParallel parallel;
    protected final Tokenizer tok;
    protected final Path tokenizerFile;
    private final int steps, evalEvery, checkpointEvery, keepCheckpoints;

    protected SupervisedTrainer(Llama initial, Tokenizer tok, Path tokenizerFile, float weightDecay, int steps,
            int evalEvery, int checkpointEvery, int keepCheckpoints) {
        Checks.positive("steps", steps);
        Checks.nonNegative("evalEvery", evalEvery);
        Checks.nonNegative("checkpointEvery", checkpointEvery);
        Checks.positive("keepCheckpoints", keepCheckpoints);
        this.tok = tok;
        this.tokenizerFile = tokenizerFile;
        this.steps = steps;
        this.evalEvery = evalEvery;
        this.checkpointEvery = checkpointEvery;
        this.keepCheckpoints = keepCheckpoints;
        Llama p = initial.copy(false);
        AdamW o = null;
        try {
            p.setTrainable(true);
            this.params = new ArrayList<>(p.parameters().values());
            o = new AdamW(params, AdamW.Config.defaults().withWeightDecay(weightDecay));
            int shards = DataParallel.defaultShards();
            this.parallel = shards > 1 ? new DataParallel(p, shards) : null;
        } catch (RuntimeException e) {
            if (o != null) o.close();
            p.close();
            throw e;
        }
        this.opt = o;
        this.policy = p;
    }

    public abstract String algorithm();

    private boolean warnedNonFinite;

    /** Takes the optimiser step unless the gradient norm is not finite (then warns once and skips it). */
    protected boolean stepIfFinite(float gradNorm, float lr, long step) {
        if (!Float.isFinite(gradNorm)) {
            if (!warnedNonFinite) {
                warnedNonFinite = true;
                LOG.warn("step {}: non-finite gradients (norm {}); the update was skipped. Hint: lower the learning rate "
                        + "or check the data for empty or degenerate examples.", step, gradNorm);
            }
            return false;
        }
        opt.step(lr);
        return true;
    }

    /** One optimiser step on batch {@code step} (from 1); returns its metrics. */
    public abstract Map<String, Double> step(long step);

    /** Held-out metrics (names start with {@code eval/}); empty when there is no held-out data. */
    public abstract Map<String, Double> evaluate();

    public Llama policy() { return policy; }

    /** What a finished run produced: per-step metrics (step 0 is the evaluation before training). */
    public record RunResult(Path directory, Path finalModel, Map<Long, Map<String, Double>> metrics) {}

    public RunResult train(Path dir, Object spec, boolean resume, Consumer<Map<String, Double>> onStep)
            throws IOException {
        Map<Long, Map<String, Double>> all = new LinkedHashMap<>();
        try (TrainingRun tr = TrainingRun.open(dir, spec, resume, keepCheckpoints)) {
            long start = 0;
            if (tr.resumeFrom().isPresent()) {
                start = restore(tr.resumeFrom().get());
            } else {
                Map<String, Double> before = evaluate();
                if (!before.isEmpty()) {
                    tr.metrics().log(0, before);
                    all.put(0L, before);
                }
            }
            try (Progress bar = new Progress(algorithm(), steps)) {
                if (start > 0) bar.update(start, "resumed after step " + start);
                for (long step = start + 1; step <= steps; step++) {
                    Map<String, Double> m = new LinkedHashMap<>(step(step));
                    if (step == steps || (evalEvery > 0 && step % evalEvery == 0)) m.putAll(evaluate());
                    tr.metrics().log(step, m);
                    all.put(step, m);
                    if (step == steps || (checkpointEvery > 0 && step % checkpointEvery == 0)) checkpoint(tr, step);
                    bar.update(step, String.format(Locale.ROOT, "loss %.4f%s", m.get("loss"),
                            m.containsKey("eval/loss") ? String.format(Locale.ROOT, " eval %.4f", m.get("eval/loss")) : ""));
                    if (onStep != null) onStep.accept(m);
                }
            }
            Path finalModel = tr.saveFinal(policy, tokenizerFile, tokenizerFile == null ? null : tok.kind(), steps,
                    Map.of("algorithm", algorithm()));
            return new RunResult(dir, finalModel, all);
        }
    }

    private void checkpoint(TrainingRun tr, long step) throws IOException {
        ObjectNode state = TrainingRun.JSON.createObjectNode().put("algorithm", algorithm());
        tr.checkpoint(step, policy, tokenizerFile, tokenizerFile == null ? null : tok.kind(),
                new TrainingRun.State(state, Map.of(), Map.of("policy", opt.state())));
    }

    private long restore(Path ckpt) throws IOException {
        TrainingRun.State s = TrainingRun.load(ckpt, List.of());
        if (!algorithm().equals(s.trainer().path("algorithm").asText())) {
            throw new IOException(ckpt + " is a " + s.trainer().path("algorithm").asText() + " checkpoint, not " + algorithm());
        }
        try (Llama saved = Checkpoint.load(ckpt)) {
            policy.loadFrom(saved);
        }
        opt.loadState(s.optimizers().get("policy"));
        return s.trainer().path("step").asLong();
    }

    @Override
    public void close() {
        PolicyTrainer.closeQuietly(parallel);
        PolicyTrainer.closeQuietly(opt);
        PolicyTrainer.closeQuietly(policy);
    }
}
