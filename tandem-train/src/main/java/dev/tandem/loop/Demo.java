package dev.tandem.loop;

import dev.tandem.feedback.Response;
import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.feedback.sim.SimulatedAnnotator;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.model.Llama;
import dev.tandem.model.Models;
import dev.tandem.model.SamplingConfig;
import dev.tandem.model.TensorEngine;
import dev.tandem.reward.Evaluation;
import dev.tandem.reward.PreferenceData;
import dev.tandem.reward.RewardModel;
import dev.tandem.reward.Splits;
import dev.tandem.train.MetricsLog;
import dev.tandem.train.RunDirectory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tandem demo}: the three acts of RLHF, unattended, on a small story model.
 *
 * <ol>
 *   <li>sample pairs of continuations of story openings from the current policy;</li>
 *   <li>store them as pairwise tasks in a feedback store (SQLite under the run directory) and have a SIMULATED
 *       annotator judge them; export the judgements as {@code {prompt, chosen, rejected}};</li>
 *   <li>train a reward model on those comparisons, report its held-out accuracy;</li>
 *   <li>fine-tune the policy with PPO (or DPO, GRPO, RLOO) on a KL leash to the original model;</li>
 *   <li>repeat 1–4 for {@code --rounds}, then evaluate the tuned policy against the original on fresh prompts
 *       with the hidden gold preference, and write an HTML report.</li>
 * </ol>
 *
 * The gold preference is used by the simulated annotator (to decide its comparisons) and by evaluation and
 * reporting; nothing derived from it except the comparisons reaches the reward model or the policy.
 */
public final class Demo {
    /** The dataset name in the demo's feedback store. */
    public static final String DATASET = "demo";

    private final DemoConfig cfg;
    private final PrintStream out;

    /** @param out where results go (stdout for the CLI); progress bars go to stderr */
    public Demo(DemoConfig cfg, PrintStream out) {
        this.cfg = cfg;
        this.out = out;
    }

    /** What one round did. */
    public record Round(int round, int generated, int dropped, FeedbackCollector.Collected collected, long exported,
            int rmTrainPairs, Evaluation.Report rm, double rmGoldAgreement, double rmSeconds, List<PolicyStage.Point> curve,
            List<String> warnings, double policySeconds, Path dir) {}

    /** What the demo produced. */
    public record Result(Path dir, Path report, Path feedbackDb, List<Round> rounds, GoldEvaluation evaluation,
            double seconds) {}

    public Result run() throws IOException {
        long t0 = System.nanoTime();
        TensorEngine.start();
        GoldJudge gold = GoldJudge.load(Models.dataDir(), cfg.goldLexicon());
        DemoPrompts prompts = DemoPrompts.standard();
        Path dir = cfg.out();
        if (Files.exists(dir.resolve("config.json"))) {
            throw new IOException(dir + " already holds a demo run; choose another --out");
        }
        Files.createDirectories(dir);
        RunDirectory.writeJsonAtomically(dir.resolve("config.json"), describe(cfg));
        Path db = dir.resolve("feedback.db");
        say("tandem demo: RLHF on %s, %d round(s) of %d comparisons and %d %s steps", cfg.model(), cfg.rounds(),
                cfg.pairs(), cfg.steps(), cfg.algorithm().id());
        say("judgements come from a SIMULATED annotator (%s; Bradley-Terry temperature %.2f, error rate %.2f);",
                gold.describe(), cfg.annotatorTemperature(), cfg.annotatorError());
        say("the reward model and the policy see only its comparisons, never the gold scores");

        List<Round> rounds = new ArrayList<>();
        GoldEvaluation evaluation;
        try (Models.Loaded loaded = Models.load(cfg.model(), null);
                FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.sqlite(db))) {
            Llama original = loaded.model();
            Llama current = original;
            RewardModel rm = null;
            SimulatedAnnotator annotator = new SimulatedAnnotator(gold.preference(), cfg.annotatorTemperature(),
                    cfg.annotatorError(), cfg.seed());
            FeedbackCollector collector = new FeedbackCollector(store, annotator, DATASET);
            try {
                for (int r = 1; r <= cfg.rounds(); r++) {
                    Path roundDir = dir.resolve("round-" + r);
                    SamplingConfig sampling = new SamplingConfig(cfg.temperature(), 0, 1f, cfg.maxNewTokens(),
                            cfg.seed() * 7919 + r, true);
                    // 1. generate
                    PairGenerator.Batch batch = PairGenerator.generate(current, loaded.tokenizer(), prompts.train(),
                            cfg.pairs(), sampling, "round " + r + ": sample pairs");
                    // 2. collect (simulated) and read the comparisons back from the store
                    String version = r == 1 ? "original" : "demo-round-" + (r - 1);
                    Response.ModelInfo info = new Response.ModelInfo(cfg.model(), version, Map.of(
                            "temperature", Float.toString(cfg.temperature()),
                            "max_new_tokens", Integer.toString(cfg.maxNewTokens()),
                            "seed", Long.toString(sampling.seed())));
                    FeedbackCollector.Collected collected = collector.collect(batch.pairs(), info, r);
                    Path pairsFile = roundDir.resolve("comparisons.jsonl");
                    long exported = collector.export(pairsFile);
                    PreferenceData comparisons = FeedbackCollector.read(pairsFile);
                    say("round %d: %d pairs sampled from the %s policy (%d dropped as empty or identical); %d simulated "
                            + "judgements stored in %s; %d comparisons exported for training (all rounds so far)",
                            r, batch.pairs().size(), version, batch.dropped(), collected.judgements(), db, exported);
                    // 3. reward model
                    Splits.Split split = Splits.byGroup(comparisons, cfg.heldOutFraction(), cfg.seed() + r);
                    if (rm != null) rm.close();
                    rm = null;
                    RewardStage.Trained trained = RewardStage.train(split.train(), split.eval(), cfg.rewardModel(),
                            loaded, cfg.maxNewTokens(), roundDir.resolve("reward-model"), cfg.seed() + r,
                            System.nanoTime());
                    rm = trained.model();
                    double rmGold = goldAgreement(trained.heldOut(), trained.heldOutData(), gold);
                    say("round %d: %s reward model trained on %d comparisons in %.1f s: held-out accuracy %.3f on %d "
                            + "(ECE %.3f; agrees with the hidden gold order on %.3f)", r, cfg.rewardModel().id(),
                            trained.trainPairs(), trained.seconds(), trained.heldOut().accuracy(),
                            trained.heldOut().pairs(), trained.heldOut().ece(), rmGold);
                    // 4. policy
                    PolicyStage.Tuned tuned = PolicyStage.run(new PolicyStage.Inputs(cfg, r, original, current,
                            loaded.tokenizer(), loaded.tokenizerFile(), rm, split.train(), split.eval(), prompts.train(),
                            gold, roundDir.resolve("policy")));
                    if (current != original) current.close();
                    current = tuned.policy();
                    List<PolicyStage.Point> c = tuned.curve();
                    writeCurve(roundDir.resolve("curve.jsonl"), c);
                    PolicyStage.Point first = c.get(0), last = c.get(c.size() - 1);
                    say("round %d: %s %d steps in %.1f s: KL to the original %.2f nats, reward-model score %.3f → %.3f, "
                            + "gold score of the rollouts %.3f → %.3f", r, cfg.algorithm().id(), c.size(),
                            tuned.seconds(), last.kl(), first.proxy(), last.proxy(), first.gold(), last.gold());
                    for (String w : tuned.warnings()) say("round %d: warning: %s", r, w);
                    rounds.add(new Round(r, batch.pairs().size() + batch.dropped(), batch.dropped(), collected,
                            exported, trained.trainPairs(), trained.heldOut(), rmGold, trained.seconds(), c,
                            tuned.warnings(), tuned.seconds(), roundDir));
                }
                // 5. evaluate on fresh prompts
                SamplingConfig evalSampling = new SamplingConfig(cfg.temperature(), 0, 1f, cfg.maxNewTokens(),
                        cfg.seed() * 104729 + 17, true);
                evaluation = GoldEvaluation.run(current, original, loaded.tokenizer(), prompts.fresh(),
                        cfg.evalSamples(), evalSampling, gold, rm, 3);
            } finally {
                if (rm != null) rm.close();
                if (current != original) current.close();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Result result = new Result(dir, dir.resolve("report.html"), db, List.copyOf(rounds), evaluation, seconds);
        RunDirectory.writeJsonAtomically(dir.resolve("results.json"), summary(result));
        DemoReport.write(result.report(), cfg, gold, prompts, result);
        printEnding(result);
        return result;
    }

    /** The round's training curve: KL, proxy (reward model) and gold reward of the rollouts, losses, per step. */
    static void writeCurve(Path file, List<PolicyStage.Point> curve) throws IOException {
        try (MetricsLog log = MetricsLog.open(file)) {
            for (PolicyStage.Point p : curve) {
                Map<String, Double> m = new LinkedHashMap<>();
                m.put("kl", p.kl());
                m.put("proxy_reward", p.proxy());
                m.put("gold_reward", p.gold());
                m.putAll(p.losses());
                log.log(p.step(), m);
            }
        }
    }

    /** Share of held-out pairs where the reward model orders the responses as the hidden gold does (reporting). */
    static double goldAgreement(Evaluation.Report report, PreferenceData heldOut, GoldJudge gold) {
        List<PreferenceRecord.Pair> pairs = new ArrayList<>();
        for (PreferenceRecord r : heldOut.records()) {
            if (r instanceof PreferenceRecord.Pair p) pairs.add(p);
            else pairs.addAll(((PreferenceRecord.Ranked) r).pairs());
        }
        if (pairs.size() != report.scored().size()) return Double.NaN;
        double agree = 0;
        int n = 0;
        for (int i = 0; i < pairs.size(); i++) {
            double g = gold.score(pairs.get(i).chosen()) - gold.score(pairs.get(i).rejected());
            if (g == 0) continue;
            Evaluation.ScoredPair s = report.scored().get(i);
            double d = s.chosenReward() - s.rejectedReward();
            agree += d == 0 ? 0.5 : (d > 0) == (g > 0) ? 1 : 0;
            n++;
        }
        return n == 0 ? Double.NaN : agree / n;
    }

    private void printEnding(Result r) {
        GoldEvaluation e = r.evaluation();
        for (GoldEvaluation.Example x : e.examples()) {
            say("");
            say("fresh prompt: %s", x.prompt());
            say("  before (original, gold %+.2f): %s", x.goldBefore(), oneLine(x.before()));
            say("  after  (tuned,    gold %+.2f): %s", x.goldAfter(), oneLine(x.after()));
        }
        say("");
        Round last = r.rounds().get(r.rounds().size() - 1);
        say("report: %s", r.report());
        say("wall time: %.0f s", r.seconds());
        say("gold score on fresh prompts: original %.3f, tuned %.3f (%d comparisons: %d wins, %d ties, %d losses)",
                e.goldOriginal(), e.goldTuned(), e.winRate().comparisons(), e.winRate().wins(), e.winRate().ties(),
                e.winRate().losses());
        say("KL to reference: %.2f ± %.2f nats per response", e.kl(), e.klStdErr());
        say("reward-model held-out accuracy: %.3f", last.rm().accuracy());
        say("gold win-rate vs reference: %.2f", e.winRate().rate());
    }

    static String oneLine(String s) {
        return s.strip().replaceAll("\\s+", " ");
    }

    private void say(String format, Object... args) {
        out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
        out.flush();
    }

    static Map<String, Object> describe(DemoConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", "demo");
        m.put("model", c.model());
        m.put("seed", c.seed());
        m.put("rounds", c.rounds());
        m.put("pairs", c.pairs());
        m.put("steps", c.steps());
        m.put("algorithm", c.algorithm().id());
        m.put("reward_model", c.rewardModel().id());
        Map<String, Object> annotator = new LinkedHashMap<>();
        annotator.put("name", FeedbackCollector.ANNOTATOR);
        annotator.put("kind", "simulated");
        annotator.put("error_rate", c.annotatorError());
        annotator.put("temperature", c.annotatorTemperature());
        annotator.put("gold_lexicon", c.goldLexicon());
        m.put("annotator", annotator);
        m.put("max_new_tokens", c.maxNewTokens());
        m.put("temperature", c.temperature());
        m.put("batch_size", c.batchSize());
        m.put("learning_rate", c.learningRate());
        m.put("kl_coef", c.klCoef());
        m.put("target_kl", c.targetKl());
        m.put("dpo_beta", c.dpoBeta());
        m.put("eval_samples_per_prompt", c.evalSamples());
        m.put("held_out_fraction", c.heldOutFraction());
        m.put("ppo_epochs", c.ppoEpochs());
        m.put("ppo_minibatches", c.ppoMinibatches());
        return m;
    }

    static Map<String, Object> summary(Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        GoldEvaluation e = r.evaluation();
        m.put("gold_win_rate", e.winRate().rate());
        m.put("gold_win_rate_stderr", e.winRate().standardError());
        m.put("wins", e.winRate().wins());
        m.put("ties", e.winRate().ties());
        m.put("losses", e.winRate().losses());
        m.put("kl_to_reference", e.kl());
        m.put("kl_stderr", e.klStdErr());
        m.put("gold_original", e.goldOriginal());
        m.put("gold_tuned", e.goldTuned());
        m.put("reward_model_score_original", e.proxyOriginal());
        m.put("reward_model_score_tuned", e.proxyTuned());
        m.put("response_tokens_original", e.lengthOriginal());
        m.put("response_tokens_tuned", e.lengthTuned());
        List<Map<String, Object>> rounds = new ArrayList<>();
        for (Round x : r.rounds()) {
            Map<String, Object> rm = new LinkedHashMap<>();
            rm.put("round", x.round());
            rm.put("pairs_judged", x.collected().judgements());
            rm.put("annotator_gold_agreement", x.collected().goldAgreement());
            rm.put("comparisons_exported", x.exported());
            rm.put("rm_train_pairs", x.rmTrainPairs());
            rm.put("rm_held_out_pairs", x.rm().pairs());
            rm.put("rm_held_out_accuracy", x.rm().accuracy());
            rm.put("rm_ece", x.rm().ece());
            rm.put("rm_gold_agreement", x.rmGoldAgreement());
            rm.put("rm_seconds", x.rmSeconds());
            rm.put("policy_seconds", x.policySeconds());
            PolicyStage.Point last = x.curve().get(x.curve().size() - 1);
            rm.put("final_training_kl", last.kl());
            rounds.add(rm);
        }
        m.put("rounds", rounds);
        m.put("wall_seconds", r.seconds());
        return m;
    }
}
