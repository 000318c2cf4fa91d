package dev.tandem.rl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.model.Checkpoint;
import dev.tandem.model.Llama;
import dev.tandem.model.Progress;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.reward.RewardModel;
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
 * What PPO, GRPO and RLOO share: a trainable policy and a frozen reference, both copies of the starting model; a
 * reward; prompts; the run loop with metrics, samples, checkpoints and resume; warnings and the progress bar.
 */
public abstract class PolicyTrainer implements AutoCloseable {
    /** Pad token of packed batches (masked out everywhere). */
    static final int PAD = 0;

    protected final Tokenizer tok;
    protected final Path tokenizerFile;
    protected final RewardModel reward;
    protected final PromptSource prompts;
    protected final Llama policy, reference;
    protected final List<ai.djl.ndarray.NDArray> policyParams;
    protected final AdamW policyOpt;
    private final int shards;
    private DataParallel parallel; // made on first use
    protected final TrainingWarnings warnings = new TrainingWarnings();
    private final RunSettings run;

    /**
     * @param withValueHead   give the policy a (zero-initialised) scalar head on its trunk
     * @param maxNewTokens    the response limit (prompts get the model's remaining positions, at most 256)
     * @param tokenizerFile   the tokenizer carried into checkpoints (null: none)
     */
    protected PolicyTrainer(Llama initial, boolean withValueHead, Tokenizer tok, Path tokenizerFile, RewardModel reward,
            List<String> promptTexts, int maxNewTokens, float weightDecay, long seed, RunSettings run) {
        this(initial, withValueHead, tok, tokenizerFile, reward,
                new PromptSource(promptTexts, tok, promptRoom(initial, maxNewTokens), seed), maxNewTokens, weightDecay, run);
    }

    /** The same with prompts already encoded. */
    protected PolicyTrainer(Llama initial, boolean withValueHead, Tokenizer tok, Path tokenizerFile, RewardModel reward,
            PromptSource prompts, int maxNewTokens, float weightDecay, RunSettings run) {
        this.tok = tok;
        this.tokenizerFile = tokenizerFile;
        this.reward = reward;
        this.run = run;
        if (prompts.longest() + maxNewTokens - 1 > initial.config().seqLen()) {
            throw new IllegalArgumentException("prompts of " + prompts.longest() + " tokens plus " + maxNewTokens
                    + " new tokens exceed the model's " + initial.config().seqLen() + " positions");
        }
        this.prompts = prompts;
        Llama p = null, r = null;
        AdamW o = null;
        try {
            p = initial.copy(withValueHead);
            r = initial.copy(false);
            p.setTrainable(true);
            r.setTrainable(false);
            this.policyParams = new ArrayList<>(p.parameters().values());
            o = new AdamW(policyParams, AdamW.Config.defaults().withWeightDecay(weightDecay));
            this.shards = DataParallel.defaultShards();
        } catch (RuntimeException e) {
            closeQuietly(o);
            closeQuietly(p);
            closeQuietly(r);
            throw e;
        }
        this.policyOpt = o;
        this.policy = p;
        this.reference = r;
    }

    /**
     * Data-parallel shards of the policy for an algorithm that splits its optimisation step ({@link DataParallel}),
     * made on first use; null with one shard ({@code TANDEM_SHARDS=1} or one libtorch thread).
     */
    protected DataParallel parallel() {
        if (parallel == null && shards > 1) parallel = new DataParallel(policy, shards);
        return parallel;
    }

    /** Positions left for a prompt (at most 256) once {@code maxNewTokens} are reserved. */
    static int promptRoom(Llama model, int maxNewTokens) {
        int room = model.config().seqLen() - maxNewTokens;
        if (room < 2) {
            throw new IllegalArgumentException("maxNewTokens " + maxNewTokens + " leaves no room for prompts in the "
                    + "model's " + model.config().seqLen() + " positions");
        }
        return Math.min(room, 256);
    }

    /** {@code ppo}, {@code grpo}, {@code rloo}. */
    public abstract String algorithm();

    /** One full step (rollout, scoring, optimisation); {@code step} counts from 1 and seeds every choice. */
    public abstract StepResult step(long step);

    /** Adds what resuming needs beyond the policy and its optimizer. */
    protected abstract void saveState(ObjectNode trainer, Map<String, Llama> models,
            Map<String, Map<String, float[]>> optimizers);

    /** Names of the extra models {@link #saveState} writes. */
    protected List<String> extraModels() { return List.of(); }

    protected abstract void restoreState(TrainingRun.State state);

    public Llama policy() { return policy; }

    public TrainingWarnings warnings() { return warnings; }

    /** What a finished run produced. */
    public record RunResult(Path directory, Path finalModel, List<Map<String, Double>> metrics, List<String> warnings) {}

    /**
     * Trains in {@code dir}, writing config.json, metrics.jsonl, samples.jsonl and checkpoints; with {@code resume},
     * continues from the latest checkpoint there. The final policy (language-model head only) goes to
     * {@code dir/final}.
     *
     * @param spec   the run's description for config.json, holding the algorithm config under "config"
     * @param onStep called after every step, may be null
     */
    public RunResult train(Path dir, Object spec, boolean resume, Consumer<StepResult> onStep) throws IOException {
        List<Map<String, Double>> all = new ArrayList<>();
        try (TrainingRun tr = TrainingRun.open(dir, spec, resume, run.keepCheckpoints())) {
            long start = tr.resumeFrom().isPresent() ? restore(tr.resumeFrom().get()) : 0;
            try (Progress bar = new Progress(algorithm(), run.steps())) {
                if (start > 0) bar.update(start, "resumed after step " + start);
                for (long step = start + 1; step <= run.steps(); step++) {
                    StepResult r = step(step);
                    tr.metrics().log(step, r.metrics());
                    all.add(r.metrics());
                    if (step == 1 || step % run.sampleEvery() == 0) writeSamples(tr, r);
                    if (step == run.steps() || (run.checkpointEvery() > 0 && step % run.checkpointEvery() == 0)) {
                        checkpoint(tr, step);
                    }
                    bar.update(step, String.format(Locale.ROOT, "reward %.3f kl %.3f %.2fs/step",
                            r.metrics().getOrDefault("objective/scores", Double.NaN),
                            r.metrics().getOrDefault("objective/kl", Double.NaN),
                            r.metrics().getOrDefault("time/step", Double.NaN)));
                    if (onStep != null) onStep.accept(r);
                }
            }
            Path finalModel;
            try (Llama lm = policy.copy(false)) {
                finalModel = tr.saveFinal(lm, tokenizerFile, tokenizerFile == null ? null : tok.kind(), run.steps(),
                        Map.of("algorithm", algorithm(), "reward", reward.name(),
                                "reward_programmatic", Boolean.toString(reward.programmatic())));
            }
            return new RunResult(dir, finalModel, all, warnings.messages());
        }
    }

    private void writeSamples(TrainingRun tr, StepResult r) {
        for (int i = 0; i < Math.min(run.samplesPerLog(), r.rollout().rows()); i++) {
            ObjectNode s = TrainingRun.JSON.createObjectNode();
            s.put("prompt", r.rollout().prompts().get(i));
            s.put("response", r.rollout().texts().get(i));
            s.put("reward", r.scores()[i]);
            s.put("kl", r.sequenceKl()[i]);
            s.put("finished", r.rollout().finished()[i]);
            tr.sample(r.step(), s);
        }
    }

    private void checkpoint(TrainingRun tr, long step) throws IOException {
        ObjectNode state = TrainingRun.JSON.createObjectNode();
        state.put("algorithm", algorithm());
        state.set("warnings", warnings.state());
        Map<String, Llama> models = new LinkedHashMap<>();
        Map<String, Map<String, float[]>> opts = new LinkedHashMap<>();
        opts.put("policy", policyOpt.state());
        saveState(state, models, opts);
        tr.checkpoint(step, policy, tokenizerFile, tokenizerFile == null ? null : tok.kind(),
                new TrainingRun.State(state, models, opts));
    }

    /** Loads a checkpoint into the models and state; returns its step. */
    long restore(Path ckpt) throws IOException {
        TrainingRun.State s = TrainingRun.load(ckpt, extraModels());
        try {
            if (!algorithm().equals(s.trainer().path("algorithm").asText())) {
                throw new IOException(ckpt + " is a " + s.trainer().path("algorithm").asText() + " checkpoint, not "
                        + algorithm());
            }
            try (Llama saved = Checkpoint.load(ckpt)) {
                policy.loadFrom(saved);
            }
            policyOpt.loadState(s.optimizers().get("policy"));
            warnings.restore((ObjectNode) s.trainer().get("warnings"));
            restoreState(s);
        } finally {
            s.models().values().forEach(Llama::close);
        }
        return s.trainer().path("step").asLong();
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing on a failure path
        }
    }

    @Override
    public void close() {
        closeQuietly(parallel);
        closeQuietly(policyOpt);
        closeQuietly(policy);
        closeQuietly(reference);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Small helpers shared by the algorithms

    static int[][] select(int[][] a, int[] rows) {
        int[][] out = new int[rows.length][];
        for (int i = 0; i < rows.length; i++) out[i] = a[rows[i]];
        return out;
    }

    /** Response tokens in the given rows. */
    static long tokens(int[][] responses, int[] rows) {
        long n = 0;
        for (int r : rows) n += responses[r].length;
        return n;
    }

    static double mean(float[] a) {
        double s = 0;
        for (float v : a) s += v;
        return s / a.length;
    }

    static double std(float[] a) {
        double m = mean(a), s = 0;
        for (float v : a) s += (v - m) * (v - m);
        return a.length > 1 ? Math.sqrt(s / (a.length - 1)) : 0;
    }

    static double fractionUnfinished(boolean[] finished) {
        int n = 0;
        for (boolean f : finished) if (!f) n++;
        return (double) n / finished.length;
    }

    static int count(int[][] responses, int token) {
        int n = 0;
        for (int[] r : responses) for (int t : r) if (t == token) n++;
        return n;
    }
}
