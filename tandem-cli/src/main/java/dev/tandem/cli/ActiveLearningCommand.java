package dev.tandem.cli;

import dev.tandem.loop.active.ActiveLearningExperiment;
import dev.tandem.loop.active.ActiveLearningRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem experiment active-learning}: judgements needed to reach a reward-model accuracy with active
 * (ensemble-disagreement) versus random selection of the pairs to label. The last line is
 * {@code judgements to reach gold accuracy X: active A, random R}.
 */
@Command(name = "active-learning", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Active learning vs random selection, in the simulated setting: generates pairs of story continuations,",
                "labels them with the SIMULATED annotator as they are picked, trains a linear reward-model ensemble after every batch",
                "and measures its held-out accuracy (against the hidden gold preference).",
                "Writes OUT/curves.jsonl, curves.csv, summary.json, active-learning.svg and pool.jsonl (reused by later runs)."})
public final class ActiveLearningCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--model", defaultValue = "stories260K", description = "Policy that generates the pairs (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--pool", defaultValue = "3000", description = "Unlabelled pairs to select from (default: ${DEFAULT-VALUE}).")
    int pool;

    @Option(names = "--held-out", defaultValue = "600", description = "Held-out pairs, on prompts never used for the pool (default: ${DEFAULT-VALUE}).")
    int heldOut;

    @Option(names = "--batch", defaultValue = "25", description = "Pairs labelled per round (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--initial", defaultValue = "25", description = "Random labels before the first round (default: ${DEFAULT-VALUE}).")
    int initial;

    @Option(names = "--budget", defaultValue = "800", description = "Stop at this many labels (default: ${DEFAULT-VALUE}).")
    int budget;

    @Option(names = "--members", defaultValue = "5", description = "Reward models in the ensemble (default: ${DEFAULT-VALUE}).")
    int members;

    @Option(names = "--seeds", defaultValue = "5", description = "Runs per strategy, seeds 1..N (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--target", description = "Held-out gold accuracy to reach (default: what random selection reaches at the budget).")
    Double target;

    @Option(names = "--epochs", defaultValue = "10", description = "SGD passes per reward-model fit (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.5", description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--l2", defaultValue = "0", description = "L2 penalty (default: ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--annotator-error", defaultValue = "0.1", description = "Simulated annotator's error rate (default: ${DEFAULT-VALUE}).")
    double annotatorError;

    @Option(names = "--annotator-temperature", defaultValue = "0.25", description = "Simulated annotator's Bradley-Terry temperature (default: ${DEFAULT-VALUE}).")
    double annotatorTemperature;

    @Option(names = "--lexicon", defaultValue = "vader", description = "Gold preference lexicon: afinn or vader (default: ${DEFAULT-VALUE}).")
    String lexicon;

    @Option(names = "--max-new-tokens", defaultValue = "48", description = "Response length (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--seed", defaultValue = "1", description = "Generation seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        ActiveLearningRun.Settings settings;
        try {
            List<Long> seedList = new ArrayList<>();
            for (long s = 1; s <= seeds; s++) seedList.add(s);
            var cfg = new ActiveLearningExperiment.Config(batch, initial, budget, members, seedList, annotatorTemperature,
                    annotatorError, epochs, lr, l2);
            settings = new ActiveLearningRun.Settings(model, pool, heldOut, maxNewTokens, 1f, seed, lexicon, target, cfg);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        System.err.println("labels come from a SIMULATED annotator; accuracy is measured against its hidden gold preference");
        var o = ActiveLearningRun.run(settings, out, System.err::println);
        System.out.println("curves: " + out.resolve("curves.jsonl"));
        System.out.println("chart: " + out.resolve("active-learning.svg"));
        System.out.println("summary: " + o.summary());
        System.out.println(String.format(Locale.ROOT, "judgements to reach gold accuracy %.3f: active %s, random %s", o.target(),
                fmt(o.activeLabels()), fmt(o.randomLabels())));
        return 0;
    }

    private static String fmt(java.util.OptionalDouble v) {
        return v.isPresent() ? String.format(Locale.ROOT, "%.0f", v.getAsDouble()) : "not reached";
    }
}
