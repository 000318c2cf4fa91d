package dev.tandem.cli;

import dev.tandem.reward.EvalReports;
import dev.tandem.reward.FeatureConfig;
import dev.tandem.reward.LossConfig;
import dev.tandem.reward.RewardRun;
import dev.tandem.reward.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tandem rm train}: trains a reward model and evaluates it on held-out data; the last stdout line is
 * {@code eval accuracy: 0.xxx}.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a reward model on preference data, then evaluate it on held-out data.",
                "FORMAT:PATH with FORMAT hh-rlhf, oasst, ukpconvarg or jsonl; PATH a file or directory.",
                "Splits never leak: HH-RLHF by line, OASST by tree, UKPConvArg by debate (both stances together).",
                "OUT is the run directory: model/, checkpoints/, metrics.jsonl, eval.json, report.html.",
                "The last line of stdout is `eval accuracy: 0.xxx`."})
public final class RmTrainCommand implements Callable<Integer> {
    @Option(names = "--train", required = true, paramLabel = "FORMAT:PATH", description = "Training data (repeatable).")
    List<String> train;

    @Option(names = "--eval", paramLabel = "FORMAT:PATH", description = "Evaluation data (repeatable); default: --split of the training data.")
    List<String> eval = new ArrayList<>();

    @Option(names = "--split", defaultValue = "0.2", description = "Held-out share (by group) when no --eval is given (default: ${DEFAULT-VALUE}).")
    double split;

    @Option(names = "--eval-groups", paramLabel = "REGEX",
            description = "Hold out the groups matching REGEX instead, e.g. 'debate:is-porn-wrong-$' (groups are debate:…, tree:…, line:…, group:…).")
    String evalGroups;

    @Option(names = "--kind", defaultValue = "linear", description = "linear or transformer (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--init", defaultValue = "stories260K", paramLabel = "CHECKPOINT|MODEL",
            description = "Transformer: start from this model (name, Tandem checkpoint, llama2.c .bin); default: ${DEFAULT-VALUE}.")
    String init;

    @Option(names = "--from-scratch", description = "Transformer: random weights with --init's architecture and tokenizer.")
    boolean fromScratch;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Transformer: tokenizer (must match a checkpoint's own).")
    Path tokenizer;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory.")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint.")
    boolean resume;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for splits and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--epochs", description = "Passes over the data (default: 4 linear, 2 transformer).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Comparisons per micro-batch (default: 64 linear, 16 transformer).")
    Integer batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step (default: ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--lr", description = "Peak learning rate (default: 0.01 linear, 0.001 transformer).")
    Float lr;

    @Option(names = "--warmup-ratio", defaultValue = "0.05", description = "Share of steps with linear warmup (default: ${DEFAULT-VALUE}).")
    float warmupRatio;

    @Option(names = "--weight-decay", description = "AdamW weight decay, i.e. L2 (default: 0).")
    Float weightDecay;

    @Option(names = "--max-grad-norm", description = "Gradient clipping (default: 0 = off for linear, 1 for transformer).")
    Float maxGradNorm;

    @Option(names = "--val-split", defaultValue = "0", description = "Validation share of the training data for early stopping (default: ${DEFAULT-VALUE}; 0.1 when --patience is set).")
    double valSplit;

    @Option(names = "--patience", defaultValue = "0", description = "Stop after N validations without improvement (default: ${DEFAULT-VALUE} = never).")
    int patience;

    @Option(names = "--eval-every", defaultValue = "0", description = "Validate every N steps (default: ${DEFAULT-VALUE} = every epoch).")
    int evalEvery;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Checkpoint every N steps (default: ${DEFAULT-VALUE} = every epoch).")
    int checkpointEvery;

    @Option(names = "--ties", defaultValue = "drop", description = "drop, rao-kupper or davidson (default: ${DEFAULT-VALUE}).")
    String ties;

    @Option(names = "--tie-param", description = "Rao-Kupper theta (> 1, default 1.5) or Davidson nu (> 0, default 0.5).")
    Double tieParam;

    @Option(names = "--rankings", defaultValue = "plackett-luce", description = "plackett-luce or all-pairs (default: ${DEFAULT-VALUE}).")
    String rankings;

    @Option(names = "--margin-scale", defaultValue = "0", description = "Margin from preference strength: slightly 1/3, clearly 2/3, much 1, times this (default: ${DEFAULT-VALUE}).")
    double marginScale;

    @Option(names = "--center-coef", defaultValue = "0", description = "TRL's center_rewards_coefficient (default: ${DEFAULT-VALUE}).")
    double centerCoef;

    @Option(names = "--ratings", defaultValue = "ordinal", description = "Loss for 1..7 ratings: ordinal or regression (default: ${DEFAULT-VALUE}).")
    String ratings;

    @Option(names = "--ensemble", defaultValue = "1", description = "Bootstrap ensemble members (default: ${DEFAULT-VALUE}).")
    int ensemble;

    @Option(names = "--max-prompt-tokens", defaultValue = "64", description = "Transformer: prompt tokens kept, the last ones (default: ${DEFAULT-VALUE}).")
    int maxPromptTokens;

    @Option(names = "--max-response-tokens", defaultValue = "64", description = "Transformer: response tokens kept, the first ones (default: ${DEFAULT-VALUE}).")
    int maxResponseTokens;

    @Option(names = "--hash-bits", defaultValue = "18", description = "Linear: 2^N hashed weights (default: ${DEFAULT-VALUE}).")
    int hashBits;

    @Option(names = "--word-ngrams", defaultValue = "1", description = "Linear: word n-grams 1..N (default: ${DEFAULT-VALUE}).")
    int wordNgrams;

    @Option(names = "--char-ngrams", defaultValue = "3-5", paramLabel = "MIN-MAX", description = "Linear: character n-grams (default: ${DEFAULT-VALUE}; 0 = none).")
    String charNgrams;

    @Option(names = "--no-idf", description = "Linear: no IDF weighting.")
    boolean noIdf;

    @Option(names = "--no-surface", description = "Linear: no surface features (length, punctuation, casing, prompt overlap).")
    boolean noSurface;

    @Override
    public Integer call() {
        return RmCommand.userErrors(() -> {
            RewardRun.Outcome o = RewardRun.run(spec());
            var r = o.evaluation();
            System.out.printf(Locale.ROOT, "data: train %d, validation %d, eval %d records%s%n", o.trainRecords(),
                    o.validationRecords(), o.evalRecords(), o.skipped() > 0 ? " (" + o.skipped() + " skipped)" : "");
            long steps = o.training().stream().mapToLong(t -> t.steps()).sum();
            boolean early = o.training().stream().anyMatch(t -> t.stoppedEarly());
            System.out.printf(Locale.ROOT, "training: %s, %d steps%s, %.1f s, %.0f pairs/s%n", kind
                    + (ensemble > 1 ? " ensemble of " + ensemble : ""), steps, early ? " (stopped early)" : "",
                    o.trainSeconds(), o.comparisonsPerSecond());
            System.out.printf("model: %s%nreport: %s%n", o.model(), o.report());
            System.out.print(EvalReports.table(r));
            System.out.printf(Locale.ROOT, "eval accuracy: %.3f%n", r.accuracy());
            return 0;
        });
    }

    RewardRun.Spec spec() {
        boolean linear = kind.equals("linear");
        TrainConfig base = linear ? TrainConfig.linearDefaults() : TrainConfig.transformerDefaults();
        LossConfig.TieModel tieModel = switch (ties) {
            case "drop" -> LossConfig.TieModel.DROP;
            case "rao-kupper" -> LossConfig.TieModel.RAO_KUPPER;
            case "davidson" -> LossConfig.TieModel.DAVIDSON;
            default -> throw new UserException("--ties must be drop, rao-kupper or davidson, got '" + ties + "'");
        };
        LossConfig.RankingLoss rankingLoss = switch (rankings) {
            case "plackett-luce" -> LossConfig.RankingLoss.PLACKETT_LUCE;
            case "all-pairs" -> LossConfig.RankingLoss.ALL_PAIRS;
            default -> throw new UserException("--rankings must be plackett-luce or all-pairs, got '" + rankings + "'");
        };
        LossConfig.RatingLoss ratingLoss = switch (ratings) {
            case "ordinal" -> LossConfig.RatingLoss.ORDINAL;
            case "regression" -> LossConfig.RatingLoss.REGRESSION;
            default -> throw new UserException("--ratings must be ordinal or regression, got '" + ratings + "'");
        };
        try {
            LossConfig loss = new LossConfig(tieModel, tieParam != null ? tieParam : LossConfig.defaultTieParameter(tieModel),
                    rankingLoss, marginScale, centerCoef, ratingLoss);
            TrainConfig cfg = new TrainConfig(epochs != null ? epochs : base.epochs(),
                    batchSize != null ? batchSize : base.batchSize(), gradAccum, lr != null ? lr : base.learningRate(),
                    warmupRatio, base.minLrRatio(), weightDecay != null ? weightDecay : base.weightDecay(),
                    maxGradNorm != null ? maxGradNorm : base.maxGradNorm(), evalEvery, patience, checkpointEvery, seed, loss);
            int charMin = 0, charMax = 0;
            if (!charNgrams.equals("0")) {
                String[] mm = charNgrams.split("-");
                try {
                    charMin = Integer.parseInt(mm[0].trim());
                    charMax = Integer.parseInt(mm[mm.length - 1].trim());
                } catch (NumberFormatException e) {
                    throw new UserException("--char-ngrams must be MIN-MAX (e.g. 2-5) or 0, got '" + charNgrams + "'");
                }
            }
            FeatureConfig features = new FeatureConfig(hashBits, wordNgrams, charMin, charMax, true, !noIdf, !noSurface);
            double vs = patience > 0 && valSplit == 0 ? 0.1 : valSplit;
            return new RewardRun.Spec(train, eval, split, evalGroups, vs, kind, init, fromScratch, tokenizer, out, resume,
                    ensemble, cfg, features, maxPromptTokens, maxResponseTokens);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
    }
}
