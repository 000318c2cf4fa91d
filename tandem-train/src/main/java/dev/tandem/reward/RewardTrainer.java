package dev.tandem.reward;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.model.GraphScalars;
import dev.tandem.model.Llama;
import dev.tandem.model.Progress;
import dev.tandem.model.SafeTensors;
import dev.tandem.train.AdamW;
import dev.tandem.train.DataParallel;
import dev.tandem.train.Gradients;
import dev.tandem.train.MetricsLog;
import dev.tandem.train.RunDirectory;
import dev.tandem.train.Schedules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Trains a {@link Trainable} reward model on comparisons: shuffled minibatches (a pure function of seed and epoch),
 * one forward pass per micro-batch over all responses of all its comparisons, {@link TensorLosses}, backward,
 * gradient accumulation and clipping, AdamW with warmup + cosine, validation with early stopping (the best model is
 * kept in {@code RUN/model}), resumable checkpoints in {@code RUN/checkpoints/step-N} (model, optimizer moments and
 * position, written atomically), a progress bar on stderr, and metrics in {@code RUN/metrics.jsonl} under TRL's
 * reward-trainer names ({@code loss}, {@code accuracy}, {@code min_reward}, {@code mean_reward},
 * {@code max_reward}, {@code margin}, {@code grad_norm}; validation as {@code eval_accuracy}, {@code eval_loss}).
 *
 * <p>A NaN or infinite loss or gradient stops training before the update with {@link DivergedException}; nothing
 * is saved after the last good checkpoint.
 */
public final class RewardTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(RewardTrainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int KEEP_CHECKPOINTS = 2;
    private static final int EVAL_BATCH = 64;

    /** Called after every optimizer step (tests use it to interrupt a run). */
    public interface Listener {
        void afterStep(long step);
    }

    /** Training stopped because the loss or the gradient stopped being finite. */
    public static final class DivergedException extends RuntimeException {
        public DivergedException(String message) { super(message); }
    }

    /**
     * What a run did.
     *
     * @param steps               optimizer steps taken in total (also before a resume)
     * @param stoppedEarly        early stopping ended the run
     * @param trainSeconds        time spent in training steps (validation and checkpoints excluded)
     * @param comparisonsPerSecond training throughput
     * @param bestValidation      the best validation report, or null without a validation set
     * @param model               where the final (or best) model is
     */
    public record Result(long steps, boolean stoppedEarly, double trainSeconds, double comparisonsPerSecond,
            Evaluation.Report bestValidation, Path model, int droppedTies) {}

    private RewardTrainer() {}

    /** The directory of the model a run produced. */
    public static Path modelDir(RunDirectory run) {
        return run.dir().resolve("model");
    }

    /**
     * Trains {@code model} on {@code train}, validating on {@code validation} (may be null).
     *
     * @param settings everything that defines the run (written to {@code RUN/config.json}; a resumed run must match)
     * @param resume   continue from the latest checkpoint in {@code run} (a fresh start when there is none)
     */
    public static Result train(Trainable model, PreferenceData train, PreferenceData validation, TrainConfig cfg,
            RunDirectory run, Map<String, Object> settings, boolean resume, Listener listener) throws IOException {
        Comparison.Expanded expanded = Comparison.expand(train.records(), cfg.loss());
        List<Comparison> comps = expanded.comparisons();
        if (comps.isEmpty()) throw new IllegalArgumentException("no comparisons to train on (" + expanded.droppedTies() + " ties dropped)");
        if (expanded.droppedTies() > 0) LOG.info("{} tied pairs dropped (--ties drop)", expanded.droppedTies());
        checkSettings(run, settings, resume);

        int perStep = cfg.batchSize() * cfg.gradAccumulation();
        long stepsPerEpoch = (comps.size() + perStep - 1) / perStep;
        long totalSteps = stepsPerEpoch * cfg.epochs();
        long warmup = Math.round(cfg.warmupRatio() * totalSteps);
        List<NDArray> params = model.parameters();
        State state = new State();
        Optional<Path> latest = resume ? run.latestCheckpoint() : Optional.empty();
        try (AdamW opt = new AdamW(params, AdamW.Config.defaults().withWeightDecay(cfg.weightDecay()))) {
            if (latest.isPresent()) {
                state = restore(latest.get(), model, opt);
                LOG.info("resuming from {} (step {})", latest.get(), state.step);
            } else if (resume) {
                LOG.info("nothing to resume in {}: starting fresh", run.dir());
            }
            Result done = state.finished ? result(state, run, expanded.droppedTies()) : null;
            if (done != null) return done;
            try (MetricsLog metrics = latest.isPresent() ? MetricsLog.open(run.metrics(), state.step) : MetricsLog.open(run.metrics());
                    Progress bar = new Progress("rm train " + model.kind(), totalSteps)) {
                bar.update(state.step, "");
                for (int epoch = state.epoch; epoch < cfg.epochs() && !state.finished; epoch++) {
                    List<Integer> order = shuffled(comps.size(), cfg.seed(), epoch);
                    for (long b = (epoch == state.epoch ? state.batchInEpoch : 0); b < stepsPerEpoch; b++) {
                        float lr = Schedules.warmupCosine(state.step, warmup, totalSteps, cfg.learningRate(), cfg.minLrRatio());
                        long t0 = System.nanoTime();
                        StepStats s = step(model, opt, comps, order, (int) (b * perStep), cfg, lr, state, run);
                        state.trainNanos += System.nanoTime() - t0;
                        state.step++;
                        state.seen += s.comparisons;
                        state.epoch = epoch;
                        state.batchInEpoch = b + 1;
                        Map<String, Number> m = s.metrics();
                        m.put("learning_rate", lr);
                        m.put("epoch", epoch + (b + 1) / (double) stepsPerEpoch);
                        boolean endOfEpoch = b + 1 == stepsPerEpoch;
                        if (validation != null && (cfg.evalEvery() > 0 ? state.step % cfg.evalEvery() == 0 || state.step == totalSteps : endOfEpoch)) {
                            validate(model, validation, cfg, state, run, m);
                        }
                        metrics.log(state.step, m);
                        bar.update(state.step, String.format(Locale.ROOT, "loss %.4f acc %.3f", s.loss, s.accuracy()));
                        if (state.step == totalSteps) state.finished = true;
                        boolean ckpt = cfg.checkpointEvery() > 0 ? state.step % cfg.checkpointEvery() == 0 : endOfEpoch;
                        if (ckpt || state.finished) {
                            if (endOfEpoch) {
                                state.epoch = epoch + 1;
                                state.batchInEpoch = 0;
                            }
                            checkpoint(model, opt, state, run);
                        }
                        if (listener != null) listener.afterStep(state.step);
                        if (state.finished) break;
                    }
                }
            }
            if (validation == null) model.save(modelDir(run), state.step, Map.of("trained_steps", Long.toString(state.step)));
            try {
                MetricsLog.writeCsv(run.metrics(), run.metrics().resolveSibling("metrics.csv"));
            } catch (IOException e) {
                LOG.warn("could not write metrics.csv: {}", e.getMessage());
            }
            return result(state, run, expanded.droppedTies());
        }
    }

    private static Result result(State state, RunDirectory run, int droppedTies) {
        double secs = state.trainNanos / 1e9;
        return new Result(state.step, state.stoppedEarly, secs, secs > 0 ? state.seen / secs : Double.NaN,
                state.best, modelDir(run), droppedTies);
    }

    /** One optimizer step over {@code gradAccumulation} micro-batches starting at {@code start} in {@code order}. */
    private static StepStats step(Trainable model, AdamW opt, List<Comparison> comps, List<Integer> order, int start,
            TrainConfig cfg, float lr, State state, RunDirectory run) {
        int end = Math.min(order.size(), start + cfg.batchSize() * cfg.gradAccumulation());
        int stepComparisons = end - start;
        StepStats s = new StepStats();
        opt.zeroGradients();
        for (int mb = start; mb < end; mb += cfg.batchSize()) {
            List<Comparison> micro = new ArrayList<>();
            for (int i = mb; i < Math.min(end, mb + cfg.batchSize()); i++) micro.add(comps.get(order.get(i)));
            if (model.parallel() != null) {
                parallelMicroBatch(model, micro, stepComparisons, cfg, s, state, run);
                continue;
            }
            List<String> prompts = new ArrayList<>(), responses = new ArrayList<>();
            rows(micro, prompts, responses);
            try (NDManager m = model.manager().newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray rewards = model.rewards(m, prompts, responses);
                NDArray loss = TensorLosses.meanLoss(rewards, micro, cfg.loss());
                float lossValue = loss.getFloat();
                if (!Float.isFinite(lossValue)) throw diverged(state, run, "loss is " + lossValue);
                gc.backward(loss.mul(GraphScalars.of(loss, micro.size() / (float) stepComparisons)));
                s.add(micro, rewards.toFloatArray(), lossValue);
            }
        }
        float norm = Gradients.clipNorm(model.parameters(), cfg.maxGradNorm());
        if (!Float.isFinite(norm)) throw diverged(state, run, "gradient norm is " + norm);
        s.gradNorm = norm;
        opt.step(lr);
        return s;
    }

    /** The (prompt, response) rows of comparisons, each comparison's responses in order. */
    private static void rows(List<Comparison> comps, List<String> prompts, List<String> responses) {
        for (Comparison c : comps) {
            for (String r : c.responses()) {
                prompts.add(c.prompt());
                responses.add(r);
            }
        }
    }

    /** What one shard reports: its comparisons, their rewards (their rows in order) and its mean loss. */
    public record ShardResult(List<Comparison> comparisons, float[] rewards, float loss) {}

    /** The rewards of comparisons [from, to) of a batch (their rows in order), computed by a replica in {@code m}. */
    @FunctionalInterface
    public interface ShardRewards {
        NDArray of(Llama replica, NDManager m, int from, int to);
    }

    /**
     * The Bradley-Terry (or ranking, rating) loss of {@code comps} and its backward pass in data-parallel shards: the
     * comparisons split into contiguous parts ({@link DataParallel#split}), each part's mean loss weighted by its share
     * of {@code stepComparisons}, so the summed gradient is the one-thread step's. Used by training and by
     * {@code tandem bench rm}.
     */
    public static List<ShardResult> backwardInShards(DataParallel parallel, List<Comparison> comps, int stepComparisons,
            LossConfig lossConfig, ShardRewards rewards) {
        List<DataParallel.Task<ShardResult>> tasks = new ArrayList<>();
        for (DataParallel.Part part : parallel.split(comps.size())) {
            List<Comparison> mine = comps.subList(part.from(), part.to());
            tasks.add((replica, m) -> {
                NDArray r = rewards.of(replica, m, part.from(), part.to());
                NDArray loss = TensorLosses.meanLoss(r, mine, lossConfig);
                ShardResult result = new ShardResult(mine, r.toFloatArray(), loss.getFloat());
                return new DataParallel.Shard<>(loss.mul(GraphScalars.of(loss, mine.size() / (float) stepComparisons)),
                        result);
            });
        }
        return parallel.run(tasks);
    }

    /** A micro-batch in data-parallel shards ({@link #backwardInShards}), its figures added to the step's. */
    private static void parallelMicroBatch(Trainable model, List<Comparison> micro, int stepComparisons,
            TrainConfig cfg, StepStats s, State state, RunDirectory run) {
        List<ShardResult> parts = backwardInShards(model.parallel(), micro, stepComparisons, cfg.loss(),
                (replica, m, from, to) -> {
                    List<String> prompts = new ArrayList<>(), responses = new ArrayList<>();
                    rows(micro.subList(from, to), prompts, responses);
                    return model.rewards(replica, m, prompts, responses);
                });
        for (ShardResult p : parts) {
            if (!Float.isFinite(p.loss())) throw diverged(state, run, "loss is " + p.loss());
            s.add(p.comparisons(), p.rewards(), p.loss());
        }
    }

    private static DivergedException diverged(State state, RunDirectory run, String what) {
        String last;
        try {
            last = run.latestCheckpoint().map(p -> "the last good checkpoint is " + p).orElse("no checkpoint was written yet");
        } catch (IOException e) {
            last = "could not list checkpoints: " + e.getMessage();
        }
        return new DivergedException("training stopped at step " + (state.step + 1) + ": " + what
                + " (try a lower --lr or gradient clipping); nothing was saved after it, " + last);
    }

    private static void validate(Trainable model, PreferenceData validation, TrainConfig cfg, State state,
            RunDirectory run, Map<String, Number> m) {
        long t0 = System.nanoTime();
        Evaluation.Report r = Evaluation.evaluate(model.current(), validation, EVAL_BATCH);
        m.put("eval_accuracy", r.accuracy());
        m.put("eval_loss", r.loss());
        m.put("eval_margin", r.margin());
        boolean better = state.best == null || r.accuracy() > state.best.accuracy() + 1e-12
                || (Math.abs(r.accuracy() - state.best.accuracy()) <= 1e-12 && r.loss() < state.best.loss());
        if (better) {
            state.best = r;
            state.badEvals = 0;
            try {
                model.save(modelDir(run), state.step, Map.of("trained_steps", Long.toString(state.step),
                        "validation_accuracy", Double.toString(r.accuracy())));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot save the best model to " + modelDir(run), e);
            }
        } else {
            state.badEvals++;
            if (cfg.patience() > 0 && state.badEvals >= cfg.patience()) {
                state.stoppedEarly = true;
                state.finished = true;
                LOG.info("early stop at step {}: validation accuracy has not improved on {} for {} evaluations",
                        state.step, String.format(Locale.ROOT, "%.4f", state.best.accuracy()), state.badEvals);
            }
        }
        LOG.debug("validation at step {}: accuracy {} ({} ms)", state.step, r.accuracy(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** A seeded permutation of 0..n-1 for an epoch: the same on every run and after a resume. */
    static List<Integer> shuffled(int n, long seed, int epoch) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) order.add(i);
        Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
        return order;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Checkpoints

    private static final class State {
        long step;
        int epoch;
        long batchInEpoch;
        long seen;
        long trainNanos;
        int badEvals;
        boolean stoppedEarly;
        boolean finished;
        Evaluation.Report best; // after a resume only accuracy and loss are known
    }

    private static void checkpoint(Trainable model, AdamW opt, State state, RunDirectory run) throws IOException {
        Path dir = run.checkpoint(state.step);
        AtomicDirectory.write(dir, tmp -> {
            model.save(tmp.resolve("model"), state.step, Map.of());
            Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
            for (var e : opt.state().entrySet()) t.put(e.getKey(), new SafeTensors.Tensor(new long[] {e.getValue().length}, e.getValue()));
            SafeTensors.write(tmp.resolve("optimizer.safetensors"), t, Map.of());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("format", "tandem-reward-trainer");
            s.put("step", state.step);
            s.put("epoch", state.epoch);
            s.put("batch_in_epoch", state.batchInEpoch);
            s.put("comparisons_seen", state.seen);
            s.put("train_nanos", state.trainNanos);
            s.put("bad_evals", state.badEvals);
            s.put("stopped_early", state.stoppedEarly);
            s.put("finished", state.finished);
            if (state.best != null) {
                s.put("best_accuracy", state.best.accuracy());
                s.put("best_loss", state.best.loss());
            }
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("config.json").toFile(), s);
        });
        List<Path> all;
        try (Stream<Path> s = Files.list(run.checkpoints())) {
            all = s.filter(p -> p.getFileName().toString().matches("step-\\d+")).sorted().toList();
        }
        for (int i = 0; i < all.size() - KEEP_CHECKPOINTS; i++) AtomicDirectory.delete(all.get(i));
    }

    private static State restore(Path dir, Trainable model, AdamW opt) throws IOException {
        JsonNode s = JSON.readTree(dir.resolve("config.json").toFile());
        if (!"tandem-reward-trainer".equals(s.path("format").asText())) {
            throw new IOException(dir.resolve("config.json") + ": not a reward-trainer checkpoint");
        }
        model.load(dir.resolve("model"));
        Map<String, float[]> os = new LinkedHashMap<>();
        SafeTensors.read(dir.resolve("optimizer.safetensors")).tensors().forEach((k, v) -> os.put(k, v.values()));
        try {
            opt.loadState(os);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
        State st = new State();
        st.step = s.path("step").asLong();
        st.epoch = s.path("epoch").asInt();
        st.batchInEpoch = s.path("batch_in_epoch").asLong();
        st.seen = s.path("comparisons_seen").asLong();
        st.trainNanos = s.path("train_nanos").asLong();
        st.badEvals = s.path("bad_evals").asInt();
        st.stoppedEarly = s.path("stopped_early").asBoolean();
        st.finished = s.path("finished").asBoolean();
        if (s.has("best_accuracy")) {
            double acc = s.path("best_accuracy").asDouble(), loss = s.path("best_loss").asDouble();
            st.best = new Evaluation.Report(0, 0, acc, loss, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, List.of(), List.of());
        }
        return st;
    }

    /** Writes the run settings on a fresh start; on resume they must equal the saved ones. */
    private static void checkSettings(RunDirectory run, Map<String, Object> settings, boolean resume) throws IOException {
        JsonNode now = JSON.valueToTree(settings);
        if (resume && Files.isRegularFile(run.config())) {
            JsonNode saved = JSON.readTree(run.config().toFile());
            if (!saved.equals(now)) {
                List<String> diff = new ArrayList<>();
                saved.fieldNames().forEachRemaining(k -> { if (!saved.get(k).equals(now.get(k))) diff.add(k + ": " + saved.get(k) + " → " + now.get(k)); });
                now.fieldNames().forEachRemaining(k -> { if (!saved.has(k)) diff.add(k + ": (none) → " + now.get(k)); });
                throw new IllegalArgumentException("cannot resume " + run.dir() + " with different settings: " + String.join("; ", diff));
            }
            return;
        }
        if (!resume && run.latestCheckpoint().isPresent()) {
            throw new IllegalArgumentException(run.dir() + " already holds a run (checkpoints/); pass --resume to continue it or choose another --out");
        }
        RunDirectory.writeJsonAtomically(run.config(), settings);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Step statistics

    private static final class StepStats {
        double loss;
        int comparisons;
        double correct, decisive, marginSum;
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum;
        int rewards;
        float gradNorm;

        void add(List<Comparison> micro, float[] r, float microLoss) {
            loss = (loss * comparisons + microLoss * (double) micro.size()) / (comparisons + micro.size());
            comparisons += micro.size();
            for (float v : r) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
                rewards++;
            }
            int off = 0;
            for (Comparison c : micro) {
                if (c instanceof Comparison.Preferred) {
                    double d = r[off] - (double) r[off + 1];
                    correct += d > 0 ? 1 : d == 0 ? 0.5 : 0;
                    marginSum += d;
                    decisive++;
                } else if (c instanceof Comparison.Ranking k) {
                    for (int i = 0; i < k.ranks().length; i++) {
                        for (int j = 0; j < k.ranks().length; j++) {
                            if (k.ranks()[i] < k.ranks()[j]) {
                                double d = r[off + i] - (double) r[off + j];
                                correct += d > 0 ? 1 : d == 0 ? 0.5 : 0;
                                marginSum += d;
                                decisive++;
                            }
                        }
                    }
                }
                off += c.responses().size();
            }
        }

        double accuracy() { return decisive == 0 ? Double.NaN : correct / decisive; }

        Map<String, Number> metrics() {
            Map<String, Number> m = new LinkedHashMap<>();
            m.put("loss", loss);
            m.put("accuracy", accuracy());
            m.put("min_reward", min);
            m.put("mean_reward", sum / rewards);
            m.put("max_reward", max);
            m.put("margin", decisive == 0 ? Double.NaN : marginSum / decisive);
            m.put("grad_norm", gradNorm);
            return m;
        }
    }
}
