package dev.tandem.loop.active;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.loop.DemoPrompts;
import dev.tandem.loop.GoldJudge;
import dev.tandem.loop.PairGenerator;
import dev.tandem.loop.PairGenerator.Candidate;
import dev.tandem.loop.RewardStage;
import dev.tandem.model.Models;
import dev.tandem.model.SamplingConfig;
import dev.tandem.reward.Featurizer;
import dev.tandem.train.Plots;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.function.Consumer;

/**
 * {@code tandem experiment active-learning}: generates (or reads back) a pool of story-continuation pairs from the
 * policy, runs {@link ActiveLearningExperiment} and writes the curves ({@code curves.jsonl}, {@code curves.csv}),
 * the summary ({@code summary.json}) and the chart ({@code active-learning.svg}) into the output directory.
 */
public final class ActiveLearningRun {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINE = new ObjectMapper();

    /**
     * @param model        policy that generates the pairs (e.g. stories260K)
     * @param poolSize     pairs on training prompts to pick labels from
     * @param heldOut      pairs on the demo's fresh prompts, for the held-out accuracy
     * @param maxNewTokens response length
     * @param temperature  sampling temperature
     * @param seed         generation seed
     * @param lexicon      the gold preference's lexicon (afinn or vader)
     * @param target       the accuracy to reach, or null for random selection's accuracy at the full budget
     * @param experiment   the experiment's settings
     */
    public record Settings(String model, int poolSize, int heldOut, int maxNewTokens, float temperature, long seed, String lexicon,
                           Double target, ActiveLearningExperiment.Config experiment) {
        public Settings {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(lexicon, "lexicon");
            Objects.requireNonNull(experiment, "experiment");
            if (poolSize < experiment.budget()) throw new IllegalArgumentException("--pool must be at least --budget");
            if (heldOut < 10) throw new IllegalArgumentException("--held-out must be >= 10");
            if (target != null && !(target > 0 && target < 1)) throw new IllegalArgumentException("--target must be in (0, 1)");
        }
    }

    /**
     * The outcome.
     *
     * @param points       every curve point
     * @param target       the accuracy looked for
     * @param activeLabels labels active selection needed to reach it (mean curve), if it did
     * @param randomLabels labels random selection needed, if it did
     * @param summary      the summary file
     */
    public record Outcome(List<ActiveLearningExperiment.Point> points, double target, OptionalDouble activeLabels,
                          OptionalDouble randomLabels, Path summary) {}

    private ActiveLearningRun() {}

    /** Runs the experiment into {@code out}; reuses {@code out/pool.jsonl} when it exists (same sizes). */
    public static Outcome run(Settings s, Path out, Consumer<String> say) throws IOException {
        Files.createDirectories(out);
        GoldJudge gold = GoldJudge.load(Models.dataDir(), s.lexicon());
        Path poolFile = out.resolve("pool.jsonl");
        List<Candidate> pool = new ArrayList<>(), held = new ArrayList<>();
        if (Files.isRegularFile(poolFile)) readPool(poolFile, pool, held);
        if (pool.size() < s.poolSize() || held.size() < s.heldOut()) {
            pool.clear();
            held.clear();
            generate(s, pool, held);
            writePool(poolFile, pool, held);
            say.accept("generated " + pool.size() + " pool pairs and " + held.size() + " held-out pairs with " + s.model());
        } else {
            say.accept("read " + pool.size() + " pool pairs and " + held.size() + " held-out pairs from " + poolFile);
        }
        pool = pool.subList(0, s.poolSize());
        held = held.subList(0, s.heldOut());
        List<String> prompts = new ArrayList<>(), responses = new ArrayList<>();
        for (List<Candidate> l : List.of(pool, held)) for (Candidate c : l) {
            prompts.add(c.prompt()); responses.add(c.first());
            prompts.add(c.prompt()); responses.add(c.second());
        }
        Featurizer features = Featurizer.fit(RewardStage.LINEAR_FEATURES, prompts, responses);
        long t0 = System.nanoTime();
        List<ActiveLearningExperiment.Point> points = new ActiveLearningExperiment(s.experiment(), features, gold.preference())
                .run(pool, held, msg -> System.err.println(msg));
        double seconds = (System.nanoTime() - t0) / 1e9;

        double[][] active = ActiveLearningExperiment.meanCurve(points, ActiveLearningExperiment.Strategy.ACTIVE, true);
        double[][] random = ActiveLearningExperiment.meanCurve(points, ActiveLearningExperiment.Strategy.RANDOM, true);
        double target = s.target() != null ? s.target() : random[1][random[1].length - 1];
        OptionalDouble a = ActiveLearningExperiment.labelsToReach(active, target), r = ActiveLearningExperiment.labelsToReach(random, target);

        writeCurves(out, points);
        Path summary = out.resolve("summary.json");
        writeAtomically(summary, JSON.writeValueAsString(summary(s, gold, points, active, random, target, a, r, seconds)));
        writeAtomically(out.resolve("active-learning.svg"), chart(s, active, random, target, a, r));
        return new Outcome(points, target, a, r, summary);
    }

    private static void generate(Settings s, List<Candidate> pool, List<Candidate> held) throws IOException {
        DemoPrompts prompts = DemoPrompts.standard();
        try (Models.Loaded loaded = Models.load(s.model(), null)) {
            SamplingConfig sampling = new SamplingConfig(s.temperature(), 0, 1f, s.maxNewTokens(), s.seed(), true);
            // a few extra: identical or empty pairs are dropped
            pool.addAll(PairGenerator.generate(loaded.model(), loaded.tokenizer(), prompts.train(), s.poolSize() + s.poolSize() / 10 + 5,
                    sampling, "pool pairs").pairs());
            held.addAll(PairGenerator.generate(loaded.model(), loaded.tokenizer(), prompts.fresh(), s.heldOut() + s.heldOut() / 10 + 5,
                    sampling.withSeed(s.seed() + 99_991), "held-out pairs").pairs());
        }
        if (pool.size() < s.poolSize() || held.size() < s.heldOut())
            throw new IOException("generation gave only " + pool.size() + " pool and " + held.size() + " held-out pairs");
    }

    static void readPool(Path file, List<Candidate> pool, List<Candidate> held) throws IOException {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            JsonNode n = LINE.readTree(line);
            Candidate c = new Candidate(n.path("prompt").asText(), n.path("first").asText(), n.path("second").asText());
            ("held_out".equals(n.path("split").asText()) ? held : pool).add(c);
        }
    }

    static void writePool(Path file, List<Candidate> pool, List<Candidate> held) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Candidate c : pool) sb.append(poolLine("pool", c)).append('\n');
        for (Candidate c : held) sb.append(poolLine("held_out", c)).append('\n');
        writeAtomically(file, sb.toString());
    }

    private static String poolLine(String split, Candidate c) throws IOException {
        ObjectNode n = LINE.createObjectNode();
        n.put("split", split).put("prompt", c.prompt()).put("first", c.first()).put("second", c.second());
        return LINE.writeValueAsString(n);
    }

    private static void writeCurves(Path out, List<ActiveLearningExperiment.Point> points) throws IOException {
        StringBuilder jsonl = new StringBuilder(), csv = new StringBuilder("strategy,seed,labels,gold_accuracy,label_accuracy,train_label_gold_agreement\n");
        for (ActiveLearningExperiment.Point p : points) {
            ObjectNode n = LINE.createObjectNode();
            n.put("strategy", p.strategy().id()).put("seed", p.seed()).put("labels", p.labels())
                    .put("gold_accuracy", p.goldAccuracy()).put("label_accuracy", p.labelAccuracy())
                    .put("train_label_gold_agreement", p.trainLabelGoldAgreement());
            jsonl.append(LINE.writeValueAsString(n)).append('\n');
            csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.4f,%.4f%n", p.strategy().id(), p.seed(), p.labels(), p.goldAccuracy(),
                    p.labelAccuracy(), p.trainLabelGoldAgreement()));
        }
        writeAtomically(out.resolve("curves.jsonl"), jsonl.toString());
        writeAtomically(out.resolve("curves.csv"), csv.toString());
    }

    private static ObjectNode summary(Settings s, GoldJudge gold, List<ActiveLearningExperiment.Point> points, double[][] active,
                                      double[][] random, double target, OptionalDouble a, OptionalDouble r, double seconds) {
        ActiveLearningExperiment.Config c = s.experiment();
        ObjectNode root = JSON.createObjectNode();
        ObjectNode set = root.putObject("settings");
        set.put("model", s.model()).put("pool", s.poolSize()).put("held_out", s.heldOut()).put("max_new_tokens", s.maxNewTokens())
                .put("temperature", s.temperature()).put("generation_seed", s.seed()).put("batch", c.batch()).put("initial", c.initial())
                .put("budget", c.budget()).put("members", c.members()).put("epochs", c.epochs()).put("learning_rate", c.learningRate())
                .put("l2", c.l2()).put("annotator", "SIMULATED: " + gold.describe()).put("annotator_temperature", c.annotatorTemperature())
                .put("annotator_error", c.annotatorError());
        ArrayNode seeds = set.putArray("seeds");
        c.seeds().forEach(seeds::add);
        root.put("target_gold_accuracy", target);
        putOpt(root, "active_labels_to_target", a);
        putOpt(root, "random_labels_to_target", r);
        if (a.isPresent() && r.isPresent()) root.put("labels_saved_share", 1 - a.getAsDouble() / r.getAsDouble());
        ObjectNode curves = root.putObject("mean_gold_accuracy");
        for (var e : new java.util.TreeMap<>(Map.of("active", active, "random", random)).entrySet()) {
            ObjectNode m = curves.putObject(e.getKey());
            for (int i = 0; i < e.getValue()[0].length; i++) m.put(Integer.toString((int) e.getValue()[0][i]), round4(e.getValue()[1][i]));
        }
        ObjectNode label = root.putObject("mean_label_accuracy_at_budget");
        ObjectNode agreement = root.putObject("train_label_gold_agreement_at_budget");
        for (ActiveLearningExperiment.Strategy st : ActiveLearningExperiment.Strategy.values()) {
            double[][] lc = ActiveLearningExperiment.meanCurve(points, st, false);
            label.put(st.id(), round4(lc[1][lc[1].length - 1]));
            agreement.put(st.id(), round4(points.stream().filter(p -> p.strategy() == st && p.labels() == s.experiment().budget())
                    .mapToDouble(ActiveLearningExperiment.Point::trainLabelGoldAgreement).average().orElse(Double.NaN)));
        }
        // paired by seed (same initial labels, same annotator answers): active − random held-out gold accuracy
        ObjectNode diff = root.putObject("paired_gold_accuracy_difference");
        for (int labels : new int[] {c.budget() / 4, c.budget() / 2, 3 * c.budget() / 4, c.budget()}) {
            int at = c.initial() + (int) Math.round((labels - c.initial()) / (double) c.batch()) * c.batch();
            at = Math.min(at, c.budget());
            List<Double> d = new ArrayList<>();
            for (long seed : c.seeds()) {
                final int n = at;
                OptionalDouble act = points.stream().filter(p -> p.seed() == seed && p.labels() == n
                        && p.strategy() == ActiveLearningExperiment.Strategy.ACTIVE).mapToDouble(ActiveLearningExperiment.Point::goldAccuracy).findFirst();
                OptionalDouble rnd = points.stream().filter(p -> p.seed() == seed && p.labels() == n
                        && p.strategy() == ActiveLearningExperiment.Strategy.RANDOM).mapToDouble(ActiveLearningExperiment.Point::goldAccuracy).findFirst();
                if (act.isPresent() && rnd.isPresent()) d.add(act.getAsDouble() - rnd.getAsDouble());
            }
            if (d.isEmpty()) continue;
            double mean = d.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), ss = 0;
            for (double x : d) ss += (x - mean) * (x - mean);
            double se = d.size() > 1 ? Math.sqrt(ss / (d.size() - 1) / d.size()) : Double.NaN;
            diff.putObject(Integer.toString(at)).put("mean", round4(mean)).put("standard_error", round4(se))
                    .put("seeds_active_better", d.stream().filter(x -> x > 0).count()).put("seeds", d.size());
        }
        ObjectNode perSeed = root.putObject("labels_to_target_per_seed");
        for (ActiveLearningExperiment.Strategy st : ActiveLearningExperiment.Strategy.values()) {
            ArrayNode arr = perSeed.putArray(st.id());
            for (long seed : s.experiment().seeds()) {
                List<ActiveLearningExperiment.Point> mine = points.stream().filter(p -> p.strategy() == st && p.seed() == seed).toList();
                double[][] seedCurve = ActiveLearningExperiment.meanCurve(mine, st, true);
                OptionalDouble v = ActiveLearningExperiment.labelsToReach(seedCurve, target);
                if (v.isPresent()) arr.add(Math.round(v.getAsDouble() * 10) / 10.0);
                else arr.addNull();
            }
        }
        ObjectNode targets = root.putObject("labels_to_reach");
        for (double t = 0.55; t < 0.951; t += 0.025) {
            ObjectNode n = targets.putObject(String.format(Locale.ROOT, "%.3f", t));
            putOpt(n, "active", ActiveLearningExperiment.labelsToReach(active, t));
            putOpt(n, "random", ActiveLearningExperiment.labelsToReach(random, t));
        }
        root.put("experiment_seconds", Math.round(seconds * 10) / 10.0);
        return root;
    }

    private static void putOpt(ObjectNode n, String key, OptionalDouble v) {
        if (v.isPresent()) n.put(key, Math.round(v.getAsDouble() * 10) / 10.0);
        else n.putNull(key);
    }

    private static double round4(double x) { return Math.round(x * 10_000) / 10_000.0; }

    /**
     * The two mean curves, the target accuracy as a dashed line and, where each curve first reaches it, a marker with
     * the number of judgements: the horizontal gap between the markers is the saving (or the cost).
     */
    static String chart(Settings s, double[][] active, double[][] random, double target, OptionalDouble a, OptionalDouble r) {
        ActiveLearningExperiment.Config c = s.experiment();
        int w = 640, h = 360, left = 56, right = 16, top = 36, bottom = 48;
        double minX = 0, maxX = c.budget();
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (double[][] cv : List.of(active, random)) for (double y : cv[1]) if (Double.isFinite(y)) { minY = Math.min(minY, y); maxY = Math.max(maxY, y); }
        minY = Math.min(minY, target);
        maxY = Math.max(maxY, target);
        if (!(maxY > minY)) { minY -= 0.05; maxY += 0.05; }
        double pad = (maxY - minY) * 0.06;
        double y0 = minY - pad, y1 = maxY + pad;
        java.util.function.DoubleUnaryOperator px = x -> left + (w - left - right) * (x - minX) / (maxX - minX);
        java.util.function.DoubleUnaryOperator py = y -> top + (h - top - bottom) * (1 - (y - y0) / (y1 - y0));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">", w, h, w, h));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"13\" font-weight=\"bold\">%s</text>", left,
                Plots.esc(String.format(Locale.ROOT, "Reward-model held-out gold accuracy, mean of %d seeds (simulated annotator)", c.seeds().size()))));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#ccc\"/>",
                left, top, w - left - right, h - top - bottom));
        for (int i = 0; i <= 4; i++) {
            double yv = y0 + (y1 - y0) * i / 4, xv = minX + (maxX - minX) * i / 4;
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>", left - 4, py.applyAsDouble(yv) + 4, yv));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>", px.applyAsDouble(xv), h - bottom + 14, xv));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", (left + w - right) / 2, h - 12,
                Plots.esc("judgements (labels picked in batches of " + c.batch() + ")")));
        double ty = py.applyAsDouble(target);
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#16a34a\" stroke-dasharray=\"5 4\"/>",
                left, ty, w - right, ty));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" fill=\"#16a34a\">%s</text>", left + 6, ty - 5,
                Plots.esc(String.format(Locale.ROOT, "target %.3f", target))));
        String[] colors = {"#2563eb", "#dc2626"};
        String[] names = {"active: ensemble disagreement", "random"};
        double[][][] curves = {active, random};
        OptionalDouble[] reach = {a, r};
        for (int k = 0; k < 2; k++) {
            StringBuilder path = new StringBuilder();
            for (int i = 0; i < curves[k][0].length; i++) {
                if (!Double.isFinite(curves[k][1][i])) continue;
                path.append(path.length() == 0 ? "M" : "L").append(String.format(Locale.ROOT, "%.1f %.1f ",
                        px.applyAsDouble(curves[k][0][i]), py.applyAsDouble(curves[k][1][i])));
            }
            sb.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(colors[k]).append("\" stroke-width=\"1.8\"/>");
            if (reach[k].isPresent()) {
                double x = px.applyAsDouble(reach[k].getAsDouble());
                sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"2 3\"/>",
                        x, ty, x, h - bottom, colors[k]));
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>", x, ty, colors[k]));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\" text-anchor=\"end\">%.0f</text>",
                        x - 3, h - bottom - 6 - 14 * k, colors[k], reach[k].getAsDouble()));
            }
            // legend at the bottom, under the curves and left of the markers
            int ly = h - bottom - 70 + 16 * k;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>",
                    left + 210, ly - 4, left + 230, ly - 4, colors[k]));
            String label = names[k] + (reach[k].isPresent() ? String.format(Locale.ROOT, ": %.0f to target", reach[k].getAsDouble()) : ": target not reached");
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>", left + 235, ly, colors[k], Plots.esc(label)));
        }
        return sb.append("</svg>").toString();
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write(text);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
