package dev.tandem.loop;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.store.DatasetSummary;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.model.Checkpoint;
import dev.tandem.model.Llama;
import dev.tandem.model.Generation;
import dev.tandem.model.Models;
import dev.tandem.model.Sampler;
import dev.tandem.model.SamplingConfig;
import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.reward.PreferenceData;
import dev.tandem.loop.active.TaskPrioritizer;
import dev.tandem.reward.RewardModel;
import dev.tandem.reward.RewardModels;
import dev.tandem.reward.Splits;
import dev.tandem.rl.NoGrad;
import dev.tandem.train.RunDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The live RLHF loop behind {@code tandem serve}: people judge pairs in the browser while the model learns.
 *
 * <ul>
 *   <li><b>Queue.</b> {@link #refill} keeps at least {@code openTasks} open pairwise tasks in the dataset, sampled
 *       from the CURRENT policy; every response records the policy version that wrote it
 *       ({@code ModelInfo.modelVersion} = {@code v0}, {@code v1}, …).</li>
 *   <li><b>Reward model.</b> Every {@code retrainEvery} new judgements the reward model is retrained on all the
 *       dataset's comparisons (exported from the store), warm-started from the previous one.</li>
 *   <li><b>Policy.</b> After every {@code optimiseEvery} reward-model versions, a policy round (PPO, GRPO, RLOO
 *       against the reward model, or DPO on the comparisons) continues from the current policy, always with the KL
 *       leash to the ORIGINAL model.</li>
 *   <li><b>Swap.</b> A new version is first written completely (checkpoint directory, atomic), then
 *       {@code state.json} is replaced atomically, then the in-memory version is swapped under a write lock; task
 *       generation holds the read lock, so it never sees a half-swapped model.</li>
 *   <li><b>Restart.</b> {@link #open} reads {@code state.json} and the store: the policy and reward model come back
 *       from their last complete versions and the judgement counters continue; an interrupted training leaves
 *       only temporary directories, which the next round replaces.</li>
 * </ul>
 *
 * Without a background thread ({@link #tick}) everything runs synchronously, which is what the tests use;
 * {@link #start} runs the queue on a timer and training on a single background thread.
 *
 * <p><b>History.</b> {@link #history} is what the dashboard charts: judgements over time, each reward-model version's
 * accuracy on held-out human judgements, each policy round's reward and KL, the versions with their times, and
 * samples of each policy version beside version 0 on the same prompts and seed. It is kept in {@code history.json},
 * written atomically BEFORE {@code state.json}; on {@link #open} entries for versions that {@code state.json} does
 * not have (a crash between the two writes) are dropped.
 *
 * <p><b>Held-out slice.</b> A comparison is held out from training by a stable hash of its prompt and its two texts,
 * the same for every reward-model version, so a pair once used to measure accuracy is never trained on by a later
 * (warm-started) version.
 *
 * <p>Layout of {@code dir}: {@code state.json}, {@code history.json}, {@code rm/vN/} (reward-model runs, the model in
 * {@code model/}), {@code policy/vN/} (policy runs, the tuned policy in {@code final/}), {@code comparisons/vN.jsonl}.
 */
public final class LiveLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveLoop.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Judgement-count points kept in the history; older points are thinned beyond this. */
    static final int MAX_JUDGEMENT_POINTS = 1000;
    /** After a failed training job the background loop waits this long before trying again. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(30);
    /** Prompts in each side-by-side sample of version N against version 0. */
    static final int SAMPLE_PROMPTS = 3;

    /**
     * Settings of the live loop.
     *
     * @param dir           where versions and state live
     * @param dataset       the feedback dataset people label
     * @param prompts       prompts for new tasks
     * @param openTasks     refill when fewer tasks than this are open
     * @param refillPairs   pairs generated per refill
     * @param retrainEvery  new judgements between reward-model versions (K)
     * @param optimiseEvery reward-model versions between policy rounds (M)
     * @param training      model, algorithm, reward-model kind, steps, batch, learning rate, KL coefficient,
     *                      sampling and seed (the demo's settings; pairs, rounds and evaluation fields are unused)
     */
    public record Config(Path dir, String dataset, List<String> prompts, int openTasks, int refillPairs,
            int retrainEvery, int optimiseEvery, DemoConfig training) {
        public Config {
            Objects.requireNonNull(dir, "dir");
            Objects.requireNonNull(dataset, "dataset");
            prompts = List.copyOf(prompts);
            if (prompts.isEmpty()) throw new IllegalArgumentException("the live loop needs prompts");
            if (openTasks < 1 || refillPairs < 1 || retrainEvery < 2 || optimiseEvery < 1) {
                throw new IllegalArgumentException("openTasks, refillPairs, optimiseEvery must be >= 1 and "
                        + "retrainEvery >= 2");
            }
            Objects.requireNonNull(training, "training");
        }
    }

    /** What survives a restart (state.json). */
    record State(int policyVersion, String policyPath, int rmVersion, String rmPath, long judgementsAtLastRm,
            int rmSinceRound) {
        static State initial() { return new State(0, null, 0, null, 0, 0); }
    }

    /**
     * A snapshot for dashboards and logs.
     *
     * @param dataset       the dataset people label (name and id)
     * @param model         the starting model (also the KL reference)
     * @param algorithm     the policy-round algorithm (ppo, dpo, grpo, rloo)
     * @param retrainEvery  K: new judgements per reward-model version
     * @param optimiseEvery M: reward-model versions per policy round
     * @param training      whether a reward-model or policy round is running now
     * @param lastError     the last training or refill failure, cleared by the next successful training
     */
    public record Status(String dataset, long datasetId, String model, String algorithm, String policyVersion,
            int rewardModelVersion, long judgements, long judgementsAtLastRetrain, int rewardModelsSincePolicyRound,
            int openTasks, int retrainEvery, int optimiseEvery, boolean training, String lastError) {}

    /**
     * Everything the dashboard charts, oldest first. Times are ISO-8601 instants; statistics that were not measured
     * are null.
     */
    public record History(List<JudgementPoint> judgements, List<RewardModelVersion> rewardModels,
            List<PolicyRound> policyRounds, List<VersionEvent> versions, List<SampleSet> samples) {
        public History {
            judgements = List.copyOf(judgements);
            rewardModels = List.copyOf(rewardModels);
            policyRounds = List.copyOf(policyRounds);
            versions = List.copyOf(versions);
            samples = List.copyOf(samples);
        }

        static History initial(String model) {
            return new History(List.of(), List.of(), List.of(),
                    List.of(new VersionEvent("policy", "v0", Instant.now().toString(), "the original " + model)),
                    List.of());
        }

        /** Drops what a crash between writing history.json and state.json left behind. */
        History upTo(State s) {
            return new History(judgements, rewardModels.stream().filter(r -> r.version() <= s.rmVersion()).toList(),
                    policyRounds.stream().filter(p -> p.version() <= s.policyVersion()).toList(),
                    versions.stream().filter(v -> v.number() <= (v.model().equals("policy") ? s.policyVersion()
                            : s.rmVersion())).toList(),
                    samples.stream().filter(x -> x.version() <= s.policyVersion()).toList());
        }
    }

    /** The dataset's judgement count at a moment. */
    public record JudgementPoint(String at, long judgements) {}

    /**
     * One reward-model version.
     *
     * @param heldOutAccuracy accuracy on the held-out slice of judgements (see the class comment)
     * @param warmStart       whether it continued from the previous version
     */
    public record RewardModelVersion(int version, String at, long judgements, int trainPairs, int heldOutPairs,
            Double heldOutAccuracy, Double heldOutLoss, boolean warmStart, double seconds) {}

    /**
     * One policy round: the last optimiser step's mean reward-model score and KL to the original (nats per
     * response), and the curve of the round.
     */
    public record PolicyRound(int version, String at, String algorithm, int rewardModelVersion, int steps,
            Double reward, Double kl, List<CurvePoint> curve, double seconds) {
        public PolicyRound {
            curve = List.copyOf(curve);
        }
    }

    /** One optimiser step of a policy round ({@code objective/scores} and {@code objective/kl}). */
    public record CurvePoint(long step, Double reward, Double kl) {}

    /** A model version coming into service: {@code model} is {@code policy} or {@code reward-model}. */
    public record VersionEvent(String model, String version, String at, String note) {
        int number() { return Integer.parseInt(version.substring(1)); }
    }

    /** Responses of policy version N and of version 0 to the same prompts with the same sampling seed. */
    public record SampleSet(int version, String at, List<SidePair> pairs) {
        public SampleSet {
            pairs = List.copyOf(pairs);
        }
    }

    /** One prompt with version 0's response ({@code original}) and version N's ({@code tuned}). */
    public record SidePair(String prompt, String original, String tuned) {}

    private final FeedbackStore store;
    private final Config cfg;
    private final Dataset dataset;
    private final Models.Loaded original;
    private final ReentrantReadWriteLock swap = new ReentrantReadWriteLock();
    private final AtomicBoolean training = new AtomicBoolean();
    private volatile State state;
    private volatile Llama policy;          // == original.model() at v0
    private volatile RewardModel reward;    // null before the first version
    private final ReentrantReadWriteLock rewardSwap = new ReentrantReadWriteLock(); // readers score, the swap closes
    private volatile String lastError;
    private volatile long retryAtNanos = System.nanoTime(); // background training waits until then after a failure
    private volatile long tooFewAt = -1;   // judgements when a retrain last found too few usable pairs
    private final Object historyLock = new Object();
    private volatile History history;       // replaced whole under historyLock
    private List<String> originalSamples;   // version 0's side of the samples, computed once (trainer thread)
    private long refills;
    private ScheduledExecutorService timer;
    private ExecutorService trainer;

    private LiveLoop(FeedbackStore store, Config cfg, Models.Loaded original, State state, Llama policy,
            RewardModel reward, History history) {
        this.store = store;
        this.cfg = cfg;
        this.original = original;
        this.state = state;
        this.policy = policy;
        this.reward = reward;
        this.history = history;
        this.dataset = store.ensureDataset(cfg.dataset(), "live RLHF loop: pairs from the current policy",
                DatasetSettings.defaults());
    }

    /** Opens the loop in {@code cfg.dir()}, resuming from its state.json if there is one. */
    public static LiveLoop open(FeedbackStore store, Config cfg) throws IOException {
        Files.createDirectories(cfg.dir());
        State s = readState(cfg.dir().resolve("state.json"));
        Models.Loaded original = Models.load(cfg.training().model(), null);
        Llama policy = original.model();
        RewardModel rm = null;
        try {
            if (s.policyPath() != null) policy = Checkpoint.load(cfg.dir().resolve(s.policyPath()));
            if (s.rmPath() != null) rm = RewardModels.load(cfg.dir().resolve(s.rmPath()));
            History h = readHistory(cfg.dir().resolve("history.json"), cfg.training().model()).upTo(s);
            LiveLoop loop = new LiveLoop(store, cfg, original, s, policy, rm, h);
            LOG.info("live loop: policy v{}, reward model v{}, {} judgements at the last retrain", s.policyVersion(),
                    s.rmVersion(), s.judgementsAtLastRm());
            return loop;
        } catch (IOException | RuntimeException e) {
            if (rm != null) rm.close();
            if (policy != original.model()) policy.close();
            original.close();
            throw e;
        }
    }

    public Dataset dataset() { return dataset; }

    /** The version tag of the policy that writes new tasks, e.g. {@code v2}. */
    public String policyVersion() { return "v" + state.policyVersion(); }

    public int rewardModelVersion() { return state.rmVersion(); }

    public Status status() {
        DatasetSummary d = summary();
        State s = state;
        DemoConfig t = cfg.training();
        return new Status(dataset.name(), dataset.id(), t.model(), t.algorithm().id(), "v" + s.policyVersion(),
                s.rmVersion(), d.judgements(), s.judgementsAtLastRm(), s.rmSinceRound(), (int) d.open(),
                cfg.retrainEvery(), cfg.optimiseEvery(), training.get(), lastError);
    }

    /** The dashboard's history (an immutable snapshot; see the class comment). */
    public History history() { return history; }

    private DatasetSummary summary() {
        return store.datasetSummaries().stream().filter(x -> x.dataset().id() == dataset.id()).findFirst()
                .orElseThrow(() -> new IllegalStateException("dataset " + dataset.name() + " disappeared"));
    }

    /**
     * Adds {@code refillPairs} tasks sampled from the current policy when fewer than {@code openTasks} are open;
     * returns the number of tasks added.
     */
    public int refill() {
        DatasetSummary now = summary();
        noteJudgements(now.judgements());
        if (now.open() >= cfg.openTasks()) return 0;
        DemoConfig t = cfg.training();
        swap.readLock().lock();
        try {
            String version = policyVersion();
            SamplingConfig sampling = new SamplingConfig(t.temperature(), 0, 1f, t.maxNewTokens(),
                    t.seed() * 31 + state.policyVersion() * 1_000_003L + ++refills, true);
            PairGenerator.Batch batch = PairGenerator.generate(policy, original.tokenizer(), cfg.prompts(),
                    cfg.refillPairs(), sampling, "live loop: tasks from " + version);
            Response.ModelInfo info = new Response.ModelInfo(t.model(), version, Map.of(
                    "temperature", Float.toString(t.temperature()), "max_new_tokens", Integer.toString(t.maxNewTokens()),
                    "seed", Long.toString(sampling.seed())));
            int added = FeedbackCollector.addPairTasks(store, dataset, batch.pairs(), info, "live loop").size();
            LOG.info("live loop: {} tasks added from policy {}", added, version);
            prioritise();
            return added;
        } finally {
            swap.readLock().unlock();
        }
    }

    /**
     * Active learning: the open tasks the current reward model is least sure about (σ(r_A − r_B) nearest ½) go to
     * people first. New tasks arrive with priority 0, so without this they would wait behind every prioritised one.
     */
    void prioritise() {
        rewardSwap.readLock().lock();
        try {
            RewardModel rm = reward;
            if (rm == null) return;
            TaskPrioritizer.Result r = new TaskPrioritizer(store).reprioritiseByUncertainty(dataset.name(), rm);
            LOG.debug("live loop: re-prioritised {} open tasks ({} changed)", r.openTasks(), r.changed());
        } catch (RuntimeException e) {
            LOG.warn("live loop: could not re-prioritise open tasks: {}", e.toString());
        } finally {
            rewardSwap.readLock().unlock();
        }
    }

    /**
     * Whether enough new judgements arrived for a new reward model (and, when the last attempt found too few usable
     * pairs, at least one more since).
     */
    public boolean retrainDue() {
        long n = summary().judgements();
        return n - state.judgementsAtLastRm() >= cfg.retrainEvery() && n != tooFewAt;
    }

    /** Whether enough reward-model versions accumulated for a policy round. */
    public boolean policyRoundDue() {
        return state.rmSinceRound() >= cfg.optimiseEvery() && reward != null;
    }

    /** Refills the queue and runs whatever training is due, synchronously. */
    public void tick() throws IOException {
        refill();
        if (retrainDue()) retrainRewardModel();
        if (policyRoundDue()) optimisePolicy();
    }

    /** Trains reward model version N+1 on every comparison so far (warm start from version N) and swaps it in. */
    public synchronized void retrainRewardModel() throws IOException {
        DemoConfig t = cfg.training();
        long judgements = summary().judgements();
        int v = state.rmVersion() + 1;
        Path pairs = cfg.dir().resolve("comparisons").resolve("v" + v + ".jsonl");
        long lines = FeedbackCollector.export(store, dataset.name(), pairs);
        if (lines < 4) {
            LOG.info("live loop: only {} labelled pairs; the reward model waits for more", lines);
            tooFewAt = judgements;
            return;
        }
        PreferenceData data = FeedbackCollector.read(pairs);
        Splits.Split split = heldOutSlice(data, t.heldOutFraction());
        if (split.train().size() < 2) {
            LOG.info("live loop: only {} comparisons to train on; the reward model waits for more", split.train().size());
            tooFewAt = judgements;
            return;
        }
        Path runDir = cfg.dir().resolve("rm").resolve("v" + v);
        if (Files.exists(runDir)) deleteTree(runDir); // left by an interrupted attempt
        Path warm = state.rmPath() == null ? null : cfg.dir().resolve(state.rmPath());
        RewardStage.Trained trained = RewardStage.train(split.train(), split.eval(), t.rewardModel(), original,
                t.maxNewTokens(), runDir, t.seed() + v, System.nanoTime(), warm);
        String rel = cfg.dir().relativize(runDir.resolve("model")).toString();
        State next = new State(state.policyVersion(), state.policyPath(), v, rel, judgements, state.rmSinceRound() + 1);
        String now = Instant.now().toString();
        try {
            updateHistory(h -> new History(h.judgements(),
                    append(h.rewardModels(), new RewardModelVersion(v, now, judgements, trained.trainPairs(),
                            split.eval().size(), finite(trained.heldOut().accuracy()), finite(trained.heldOut().loss()),
                            warm != null, trained.seconds())),
                    h.policyRounds(), append(h.versions(), new VersionEvent("reward-model", "v" + v, now,
                            trained.trainPairs() + " comparisons" + (warm != null ? ", warm start" : ""))),
                    h.samples()));
            writeState(next);
        } catch (IOException | RuntimeException e) {
            trained.model().close();
            throw e;
        }
        RewardModel old;
        rewardSwap.writeLock().lock();
        try {
            old = reward;
            reward = trained.model();
            state = next;
        } finally {
            rewardSwap.writeLock().unlock();
        }
        if (old != null) old.close(); // no reader holds it any more
        prioritise();
        LOG.info("live loop: reward model v{} on {} comparisons: accuracy {} on {} held out", v, split.train().size(),
                String.format(java.util.Locale.ROOT, "%.3f", trained.heldOut().accuracy()), split.eval().size());
    }

    /**
     * Splits comparisons into training and the held-out slice: a pair is held out when a stable hash of its prompt
     * and its two texts (in either order) falls below {@code fraction}, so the slice only ever grows with new pairs.
     * When none would be held out, the pair with the smallest hash is (every model version is measured on something).
     */
    static Splits.Split heldOutSlice(PreferenceData data, double fraction) {
        List<Integer> train = new ArrayList<>(), held = new ArrayList<>();
        int smallest = -1;
        double smallestU = 2;
        for (int i = 0; i < data.size(); i++) {
            double u = unit(data.records().get(i));
            if (u < fraction) held.add(i);
            else train.add(i);
            if (u < smallestU) {
                smallestU = u;
                smallest = i;
            }
        }
        if (held.isEmpty() && smallest >= 0) {
            held.add(smallest);
            train.remove(Integer.valueOf(smallest));
        }
        return new Splits.Split(data.subset(train), data.subset(held));
    }

    /** A record's position in [0, 1) by SHA-256 of its prompt and its texts, order-free. */
    private static double unit(PreferenceRecord r) {
        List<String> texts = new ArrayList<>();
        if (r instanceof PreferenceRecord.Pair p) {
            texts.add(p.chosen());
            texts.add(p.rejected());
        } else {
            texts.addAll(((PreferenceRecord.Ranked) r).responses());
        }
        java.util.Collections.sort(texts);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(r.prompt().getBytes(StandardCharsets.UTF_8));
            for (String x : texts) {
                md.update((byte) 0);
                md.update(x.getBytes(StandardCharsets.UTF_8));
            }
            byte[] h = md.digest();
            long bits = 0;
            for (int i = 0; i < 7; i++) bits = (bits << 8) | (h[i] & 0xff);
            return bits / (double) (1L << 56);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    /** Runs a policy round from the current policy against the current reward model and swaps the result in. */
    public synchronized void optimisePolicy() throws IOException {
        if (reward == null) throw new IllegalStateException("no reward model yet");
        DemoConfig t = cfg.training();
        int v = state.policyVersion() + 1;
        Path runDir = cfg.dir().resolve("policy").resolve("v" + v);
        if (Files.exists(runDir)) deleteTree(runDir);
        PreferenceData data = FeedbackCollector.read(cfg.dir().resolve("comparisons").resolve("v" + state.rmVersion() + ".jsonl"));
        Splits.Split split = heldOutSlice(data, t.heldOutFraction());
        PolicyStage.Tuned tuned = PolicyStage.run(new PolicyStage.Inputs(t, v, original.model(), policy,
                original.tokenizer(), original.tokenizerFile(), reward, split.train(), split.eval(), cfg.prompts(), null,
                runDir));
        Path finalDir = runDir.resolve("final");
        if (!Files.isDirectory(finalDir)) {
            try (Llama lm = tuned.policy()) {
                throw new IOException("the policy run left no " + finalDir);
            }
        }
        State next = new State(v, cfg.dir().relativize(finalDir).toString(), state.rmVersion(), state.rmPath(),
                state.judgementsAtLastRm(), 0);
        try {
            List<CurvePoint> curve = tuned.curve().stream()
                    .map(p -> new CurvePoint(p.step(), finite(p.proxy()), finite(p.kl()))).toList();
            CurvePoint end = curve.isEmpty() ? new CurvePoint(0, null, null) : curve.get(curve.size() - 1);
            SampleSet samples = sideBySide(tuned.policy(), v);
            String now = Instant.now().toString();
            int rmVersion = state.rmVersion();
            updateHistory(h -> new History(h.judgements(), h.rewardModels(),
                    append(h.policyRounds(), new PolicyRound(v, now, t.algorithm().id(), rmVersion, curve.size(),
                            end.reward(), end.kl(), curve, tuned.seconds())),
                    append(h.versions(), new VersionEvent("policy", "v" + v, now,
                            t.algorithm().id() + " against reward model v" + rmVersion)),
                    append(h.samples(), samples)));
            writeState(next);
        } catch (IOException | RuntimeException e) {
            tuned.policy().close();
            throw e;
        }
        swap.writeLock().lock();
        try {
            Llama old = policy;
            policy = tuned.policy();
            state = next;
            if (old != original.model()) old.close();
        } finally {
            swap.writeLock().unlock();
        }
        PolicyStage.Point last = tuned.curve().get(tuned.curve().size() - 1);
        LOG.info("live loop: policy v{} after {} {} steps (KL to the original {} nats)", v, tuned.curve().size(),
                t.algorithm().id(), String.format(java.util.Locale.ROOT, "%.2f", last.kl()));
    }

    /**
     * Samples {@code tuned} and the original on the same {@link #SAMPLE_PROMPTS} prompts with the same seed (version
     * 0's side is sampled once and reused).
     */
    private SampleSet sideBySide(Llama tuned, int version) {
        DemoConfig t = cfg.training();
        List<String> prompts = samplePrompts();
        SamplingConfig sampling = new SamplingConfig(t.temperature(), 0, 1f, t.maxNewTokens(), t.seed() * 7919 + 17,
                true);
        if (originalSamples == null) originalSamples = sample(original.model(), prompts, sampling);
        List<String> mine = sample(tuned, prompts, sampling);
        List<SidePair> pairs = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) pairs.add(new SidePair(prompts.get(i), originalSamples.get(i), mine.get(i)));
        return new SampleSet(version, Instant.now().toString(), pairs);
    }

    /** Up to {@link #SAMPLE_PROMPTS} prompts spread over the prompt list. */
    private List<String> samplePrompts() {
        List<String> all = cfg.prompts();
        int n = Math.min(SAMPLE_PROMPTS, all.size());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(all.get(i * all.size() / n));
        return out;
    }

    private List<String> sample(Llama model, List<String> prompts, SamplingConfig sampling) {
        int[][] rows = new int[prompts.size()][];
        for (int i = 0; i < rows.length; i++) rows[i] = original.tokenizer().encode(prompts.get(i), true, false);
        Generation g = Sampler.forModel(model, original.tokenizer()).generate(rows, sampling);
        List<String> out = new ArrayList<>();
        for (int[] tokens : g.tokens()) out.add(PairGenerator.text(original.tokenizer(), tokens));
        return out;
    }

    /** Adds a judgement-count point when the count changed (thinning old points beyond the cap). */
    private void noteJudgements(long count) {
        List<JudgementPoint> points = history.judgements();
        if (!points.isEmpty() && points.get(points.size() - 1).judgements() == count) return;
        try {
            updateHistory(h -> {
                List<JudgementPoint> p = new ArrayList<>(h.judgements());
                if (!p.isEmpty() && p.get(p.size() - 1).judgements() == count) return h;
                p.add(new JudgementPoint(Instant.now().toString(), count));
                if (p.size() > MAX_JUDGEMENT_POINTS) {
                    List<JudgementPoint> thin = new ArrayList<>();
                    for (int i = 0; i < p.size(); i++) if (i % 2 == 0 || i == p.size() - 1) thin.add(p.get(i));
                    p = thin;
                }
                return new History(p, h.rewardModels(), h.policyRounds(), h.versions(), h.samples());
            });
        } catch (IOException e) {
            LOG.warn("live loop: cannot write the history: {}", e.toString());
        }
    }

    /** Replaces the history with {@code change(history)} and writes it to history.json atomically. */
    private void updateHistory(java.util.function.UnaryOperator<History> change) throws IOException {
        synchronized (historyLock) {
            History next = change.apply(history);
            if (next == history) return;
            RunDirectory.writeJsonAtomically(cfg.dir().resolve("history.json"), next);
            history = next;
        }
    }

    static History readHistory(Path file, String model) throws IOException {
        if (!Files.exists(file)) return History.initial(model);
        try {
            return JSON.readerFor(History.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not a live-loop history: " + e.getMessage(), e);
        }
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> out = new ArrayList<>(list);
        out.add(item);
        return out;
    }

    /** JSON has no NaN: statistics that are not finite are null. */
    private static Double finite(double x) { return Double.isFinite(x) ? x : null; }

    /**
     * Runs in the background: the queue is refilled every {@code period}; due training is handed to one trainer
     * thread (at most one job at a time, so a slow round never piles up). Errors are logged and kept in
     * {@link Status#lastError}; the loop carries on and tries training again after {@link #RETRY_AFTER}. A retrain
     * that finds too few usable pairs waits for the next judgement instead of trying again every period.
     */
    public synchronized LiveLoop start(Duration period) {
        if (timer != null) throw new IllegalStateException("already started");
        timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tandem-live-loop-queue"));
        trainer = Executors.newSingleThreadExecutor(r -> daemon(r, "tandem-live-loop-trainer"));
        // libtorch's grad mode is per thread and ON in threads it did not start on: without NoGrad, in-place
        // optimiser updates of leaf parameters fail here ("a leaf Variable that requires grad is being used in an
        // in-place operation"); gradient collectors inside training turn it on where they need it.
        timer.scheduleWithFixedDelay(() -> {
            try (NoGrad noGrad = NoGrad.enter()) {
                refill();
                if (!training.get() && System.nanoTime() - retryAtNanos >= 0 && (retrainDue() || policyRoundDue())) {
                    training.set(true);
                    trainer.submit(() -> {
                        try (NoGrad trainerNoGrad = NoGrad.enter()) {
                            if (retrainDue()) retrainRewardModel();
                            if (policyRoundDue()) optimisePolicy();
                            lastError = null;
                        } catch (Exception e) {
                            lastError = e.toString();
                            retryAtNanos = System.nanoTime() + RETRY_AFTER.toNanos();
                            LOG.error("live loop: training failed (next try in {} s): {}", RETRY_AFTER.toSeconds(),
                                    e.toString(), e);
                        } finally {
                            training.set(false);
                        }
                    });
                }
            } catch (RuntimeException e) {
                lastError = e.toString();
                LOG.error("live loop: refill failed: {}", e.toString(), e);
            }
        }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void writeState(State s) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "tandem-live-loop");
        m.put("policy_version", s.policyVersion());
        m.put("policy_path", s.policyPath());
        m.put("rm_version", s.rmVersion());
        m.put("rm_path", s.rmPath());
        m.put("judgements_at_last_rm", s.judgementsAtLastRm());
        m.put("rm_since_round", s.rmSinceRound());
        RunDirectory.writeJsonAtomically(cfg.dir().resolve("state.json"), m);
    }

    static State readState(Path file) throws IOException {
        if (!Files.exists(file)) return State.initial();
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !"tandem-live-loop".equals(n.path("format").asText())) {
            throw new IOException(file + ": not a live-loop state file (field 'format')");
        }
        return new State(n.path("policy_version").asInt(), text(n, "policy_path"), n.path("rm_version").asInt(),
                text(n, "rm_path"), n.path("judgements_at_last_rm").asLong(), n.path("rm_since_round").asInt());
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static void deleteTree(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (timer != null) {
            timer.shutdownNow();
            trainer.shutdown();
            if (!trainer.awaitTermination(10, TimeUnit.MINUTES)) trainer.shutdownNow();
            timer.awaitTermination(1, TimeUnit.MINUTES);
        }
        swap.writeLock().lock();
        try {
            if (reward != null) reward.close();
            if (policy != original.model()) policy.close();
            original.close();
        } finally {
            swap.writeLock().unlock();
        }
    }
}
