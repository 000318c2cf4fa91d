package dev.tandem.loop;

import dev.tandem.feedback.io.PreferenceRecord;
import dev.tandem.model.Models;
import dev.tandem.reward.Evaluation;
import dev.tandem.reward.FeatureConfig;
import dev.tandem.reward.Featurizer;
import dev.tandem.reward.PreferenceData;
import dev.tandem.reward.RewardModel;
import dev.tandem.reward.RewardTrainer;
import dev.tandem.reward.TrainConfig;
import dev.tandem.reward.Trainable;
import dev.tandem.reward.TrainableLinear;
import dev.tandem.reward.TrainableTransformer;
import dev.tandem.reward.TransformerRewardModel;
import dev.tandem.train.RunDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Step 3: a reward model learned from the exported comparisons only (texts and which side was preferred). A share
 * of the comparisons is held out to measure its accuracy and calibration; the model is trained on the rest.
 */
public final class RewardStage {
    /**
     * Features of the demo's linear model: words, character 2-4-grams and surface statistics in 2^18 hashed weights
     * (character n-grams carry sentiment across inflections; fewer weights than the default fit ~1000 pairs).
     */
    public static final FeatureConfig LINEAR_FEATURES = new FeatureConfig(18, 1, 2, 4, true, true, true);

    private RewardStage() {}

    /**
     * A trained reward model and its held-out evaluation.
     *
     * @param model     the reward model (the caller closes it)
     * @param heldOut   accuracy, loss, calibration on the held-out comparisons
     * @param heldOutData the held-out comparisons (for reporting)
     * @param trainPairs comparisons trained on
     * @param seconds   wall time of training
     */
    public record Trained(RewardModel model, Evaluation.Report heldOut, PreferenceData heldOutData, int trainPairs,
            double seconds) {}

    public static Trained train(PreferenceData train, PreferenceData heldOut, DemoConfig.RewardKind kind,
            Models.Loaded backbone, int maxResponseTokens, Path dir, long seed, long startNanos) throws IOException {
        return train(train, heldOut, kind, backbone, maxResponseTokens, dir, seed, startNanos, null);
    }

    /**
     * As above; with {@code warmStart} (a model directory written by an earlier run, e.g. {@code RUN/model}) the
     * model continues from those weights (a linear model keeps its fitted features) instead of starting afresh.
     */
    public static Trained train(PreferenceData train, PreferenceData heldOut, DemoConfig.RewardKind kind,
            Models.Loaded backbone, int maxResponseTokens, Path dir, long seed, long startNanos, Path warmStart)
            throws IOException {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("kind", kind.id());
        settings.put("train_pairs", train.size());
        settings.put("held_out_pairs", heldOut.size());
        settings.put("seed", seed);
        RunDirectory run = RunDirectory.create(dir);
        Trainable trainable;
        TrainConfig cfg;
        if (warmStart != null) {
            settings.put("warm_start", warmStart.toString());
            if (kind == DemoConfig.RewardKind.LINEAR) {
                trainable = TrainableLinear.from(dev.tandem.reward.LinearRewardModel.load(warmStart));
                cfg = TrainConfig.linearDefaults().withEpochs(2).withSeed(seed);
            } else {
                trainable = new TrainableTransformer(TransformerRewardModel.load(warmStart, null));
                cfg = TrainConfig.transformerDefaults().withEpochs(1).withSeed(seed);
            }
        } else if (kind == DemoConfig.RewardKind.LINEAR) {
            List<String> prompts = new ArrayList<>(), responses = new ArrayList<>();
            for (PreferenceRecord r : train.records()) {
                PreferenceRecord.Pair p = (PreferenceRecord.Pair) r;
                prompts.add(p.prompt());
                responses.add(p.chosen());
                prompts.add(p.prompt());
                responses.add(p.rejected());
            }
            trainable = new TrainableLinear(Featurizer.fit(LINEAR_FEATURES, prompts, responses));
            cfg = TrainConfig.linearDefaults().withEpochs(4).withSeed(seed);
            settings.put("features", LINEAR_FEATURES.toString());
        } else {
            trainable = new TrainableTransformer(TransformerRewardModel.fromBackbone(backbone, 64, maxResponseTokens + 1));
            cfg = TrainConfig.transformerDefaults().withSeed(seed);
        }
        settings.put("train_config", cfg.toString());
        RewardModel model;
        try (trainable) {
            RewardTrainer.train(trainable, train, null, cfg, run, settings, false, null);
            model = kind == DemoConfig.RewardKind.LINEAR ? trainable.current()
                    : dev.tandem.reward.RewardModels.load(RewardTrainer.modelDir(run));
        }
        try {
            Evaluation.Report report = Evaluation.evaluate(model, heldOut, 64);
            return new Trained(model, report, heldOut, train.size(), (System.nanoTime() - startNanos) / 1e9);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
