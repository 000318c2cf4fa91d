package dev.tandem.reward;

import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.model.Checkpoint;
import dev.tandem.model.LlamaConfig;
import dev.tandem.model.Models;
import dev.tandem.model.TensorEngine;
import dev.tandem.train.RunDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A whole reward-model run as {@code tandem rm train} does it: read the data, split it without leaks, build the model
 * (linear, or transformer from a checkpoint or from scratch), train (one model or a bootstrap ensemble), then
 * evaluate on the held-out set and write {@code eval.json} and {@code report.html} into the run directory.
 */
public final class RewardRun {
    private static final Logger LOG = LoggerFactory.getLogger(RewardRun.class);
    private static final int EVAL_BATCH = 64;

    private RewardRun() {}

    /**
     * Everything a run needs.
     *
     * @param train          {@code FORMAT:PATH} training sources
     * @param eval           {@code FORMAT:PATH} evaluation sources (empty: split the training data)
     * @param split          held-out share of the training data when {@code eval} is empty and no {@code evalGroups}
     * @param evalGroups     hold out the groups matching this regex (e.g. {@code debate:is-porn-wrong-}), or null
     * @param valSplit       share of the training data (by group) used for validation and early stopping (0 = none)
     * @param kind           {@code linear} or {@code transformer}
     * @param init           transformer: model name, Tandem checkpoint or llama2.c file to start from
     * @param fromScratch    transformer: random weights with {@code init}'s architecture and tokenizer
     * @param tokenizer      transformer: explicit tokenizer (must match a checkpoint's own), or null
     * @param out            the run directory
     * @param resume         continue the run in {@code out}
     * @param ensemble       number of bootstrap members (1 = a single model)
     * @param config         training hyper-parameters
     * @param features       linear: feature configuration
     * @param maxPromptTokens   transformer: prompt tokens kept (the last ones)
     * @param maxResponseTokens transformer: response tokens kept (the first ones)
     */
    public record Spec(List<String> train, List<String> eval, double split, String evalGroups, double valSplit,
            String kind, String init, boolean fromScratch, Path tokenizer, Path out, boolean resume, int ensemble,
            TrainConfig config, FeatureConfig features, int maxPromptTokens, int maxResponseTokens) {
        public Spec {
            train = List.copyOf(train);
            eval = List.copyOf(eval);
            if (train.isEmpty()) throw new IllegalArgumentException("--train is required");
            if (!kind.equals(LinearRewardModel.KIND) && !kind.equals(TransformerRewardModel.KIND)) {
                throw new IllegalArgumentException("--kind must be linear or transformer, got '" + kind + "'");
            }
            if (ensemble < 1) throw new IllegalArgumentException("--ensemble must be >= 1");
            if (!(valSplit >= 0 && valSplit < 1)) throw new IllegalArgumentException("--val-split must be in [0, 1)");
        }

        /** The settings a resumed run must share (everything but {@code resume}). */
        Map<String, Object> settings() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("train", train);
            m.put("eval", eval);
            m.put("split", split);
            m.put("eval_groups", evalGroups);
            m.put("val_split", valSplit);
            m.put("kind", kind);
            m.put("ensemble", ensemble);
            m.put("config", config.toString());
            if (kind.equals(LinearRewardModel.KIND)) {
                m.put("features", features.toString());
            } else {
                m.put("init", init);
                m.put("from_scratch", fromScratch);
                m.put("tokenizer", tokenizer == null ? null : tokenizer.toString());
                m.put("max_prompt_tokens", maxPromptTokens);
                m.put("max_response_tokens", maxResponseTokens);
            }
            return m;
        }
    }

    /** What a run produced. */
    public record Outcome(Evaluation.Report evaluation, List<RewardTrainer.Result> training, Path model, Path report,
            int trainRecords, int validationRecords, int evalRecords, int skipped) {

        /** Training throughput over all members: comparisons per second of training time. */
        public double comparisonsPerSecond() {
            double secs = trainSeconds();
            long n = 0;
            for (RewardTrainer.Result r : training) n += Math.round(r.comparisonsPerSecond() * r.trainSeconds());
            return secs > 0 ? n / secs : Double.NaN;
        }

        public double trainSeconds() {
            return training.stream().mapToDouble(RewardTrainer.Result::trainSeconds).sum();
        }
    }

    public static Outcome run(Spec spec) throws IOException {
        TensorEngine.start();
        PreferenceData all = PreferenceData.load(spec.train());
        int skipped = all.skippedCount();
        PreferenceData trainData, evalData;
        if (!spec.eval().isEmpty()) {
            trainData = all;
            evalData = PreferenceData.load(spec.eval());
            skipped += evalData.skippedCount();
        } else if (spec.evalGroups() != null) {
            Splits.Split s = Splits.byPattern(all, Pattern.compile(spec.evalGroups()));
            trainData = s.train();
            evalData = s.eval();
        } else {
            Splits.Split s = Splits.byGroup(all, spec.split(), spec.config().seed());
            trainData = s.train();
            evalData = s.eval();
        }
        PreferenceData validation = null;
        if (spec.valSplit() > 0) {
            Splits.Split v = Splits.byGroup(trainData, spec.valSplit(), spec.config().seed() + 1);
            trainData = v.train();
            validation = v.eval();
        }
        if (all.skippedCount() > 0) LOG.warn("skipped {} training records: {}", all.skippedCount(), all.skipped());
        LOG.info("train {} records, validation {}, eval {}", trainData.size(), validation == null ? 0 : validation.size(),
                evalData.size());

        RunDirectory run = RunDirectory.create(spec.out());
        List<RewardTrainer.Result> results = new ArrayList<>();
        if (spec.ensemble() == 1) {
            try (Trainable t = build(spec, trainData, spec.config().seed())) {
                results.add(RewardTrainer.train(t, trainData, validation, spec.config(), run, spec.settings(), spec.resume(), null));
            }
        } else {
            List<RewardModel> members = new ArrayList<>();
            try {
                RunDirectory.writeJsonAtomically(run.config(), spec.settings());
                for (int k = 0; k < spec.ensemble(); k++) {
                    long seed = spec.config().seed() + 1000L * (k + 1);
                    PreferenceData boot = Splits.bootstrap(trainData, seed);
                    RunDirectory memberRun = RunDirectory.create(spec.out().resolve("members").resolve("member-" + k));
                    Map<String, Object> settings = new LinkedHashMap<>(spec.settings());
                    settings.put("member", k);
                    LOG.info("ensemble member {}/{} (bootstrap seed {})", k + 1, spec.ensemble(), seed);
                    try (Trainable t = build(spec, boot, seed)) {
                        results.add(RewardTrainer.train(t, boot, validation, spec.config().withSeed(seed), memberRun,
                                settings, spec.resume(), null));
                    }
                    members.add(RewardModels.load(RewardTrainer.modelDir(memberRun)));
                }
                try (RewardEnsemble e = new RewardEnsemble(members)) {
                    members = List.of();
                    e.save(RewardTrainer.modelDir(run), Map.of("members", Integer.toString(spec.ensemble())));
                }
            } finally {
                for (RewardModel m : members) m.close();
            }
        }

        Path modelDir = RewardTrainer.modelDir(run);
        Evaluation.Report report;
        try (RewardModel model = RewardModels.load(modelDir)) {
            report = Evaluation.evaluate(model, evalData, EVAL_BATCH);
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("model", modelDir.toString());
        context.put("kind", spec.ensemble() > 1 ? RewardEnsemble.KIND + " of " + spec.ensemble() + " " + spec.kind() : spec.kind());
        context.put("train", String.join(" ", spec.train()));
        context.put("eval", spec.eval().isEmpty() ? (spec.evalGroups() != null ? "held-out groups " + spec.evalGroups()
                : "held-out " + spec.split() + " of the training data by group") : String.join(" ", spec.eval()));
        Path html = EvalReports.write(spec.out(), report, context);
        return new Outcome(report, results, modelDir, html, trainData.size(), validation == null ? 0 : validation.size(),
                evalData.size(), skipped);
    }

    /** Evaluates a saved model on {@code FORMAT:PATH} data and writes eval.json and report.html into {@code out}. */
    public static Evaluation.Report evaluate(Path modelDir, Path tokenizer, List<String> data, Path out) throws IOException {
        PreferenceData d = PreferenceData.load(data);
        if (d.skippedCount() > 0) LOG.warn("skipped {} records: {}", d.skippedCount(), d.skipped());
        Evaluation.Report report;
        String name;
        try (RewardModel model = RewardModels.load(modelDir, tokenizer)) {
            name = model.name();
            report = Evaluation.evaluate(model, d, EVAL_BATCH);
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("model", modelDir.toString());
        context.put("kind", name);
        context.put("eval", String.join(" ", data));
        EvalReports.write(out, report, context);
        return report;
    }

    /** The trainable model for a run (or ensemble member) trained on {@code data}. */
    static Trainable build(Spec spec, PreferenceData data, long seed) throws IOException {
        if (spec.kind().equals(LinearRewardModel.KIND)) {
            List<String> ps = new ArrayList<>(), rs = new ArrayList<>();
            for (PreferenceRecord r : data.records()) {
                if (r instanceof PreferenceRecord.Pair p) {
                    ps.add(p.prompt()); rs.add(p.chosen()); ps.add(p.prompt()); rs.add(p.rejected());
                } else {
                    for (String resp : ((PreferenceRecord.Ranked) r).responses()) { ps.add(r.prompt()); rs.add(resp); }
                }
            }
            return new TrainableLinear(Featurizer.fit(spec.features(), ps, rs));
        }
        Path initPath = Path.of(spec.init());
        if (Files.isDirectory(initPath) && Files.isRegularFile(initPath.resolve(Checkpoint.CONFIG))) {
            Checkpoint.Info info = Checkpoint.info(initPath);
            Path tok = TransformerRewardModel.checkTokenizer(initPath, spec.tokenizer());
            if ("reward".equals(info.metadata().get("kind")) && !spec.fromScratch()) {
                LOG.info("continuing from reward model {}", initPath);
                return new TrainableTransformer(TransformerRewardModel.load(initPath, tok));
            }
        }
        try (Models.Loaded backbone = Models.load(spec.init(), spec.tokenizer())) {
            if (spec.fromScratch()) {
                LlamaConfig c = backbone.model().config();
                return new TrainableTransformer(TransformerRewardModel.random(c, backbone.tokenizerFile(), seed,
                        spec.maxPromptTokens(), spec.maxResponseTokens()));
            }
            return new TrainableTransformer(TransformerRewardModel.fromBackbone(backbone, spec.maxPromptTokens(),
                    spec.maxResponseTokens()));
        }
    }
}
