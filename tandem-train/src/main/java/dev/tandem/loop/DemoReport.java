package dev.tandem.loop;

import dev.tandem.reward.Evaluation;
import dev.tandem.train.MetricsLog;
import dev.tandem.train.Plots;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's self-contained HTML report: headline figures, inline SVG charts (reward against KL, rewards and KL over
 * training, losses, the reward model's calibration), before/after stories. Every piece of text that came from a
 * model or a file is escaped.
 */
public final class DemoReport {
    private DemoReport() {}

    public static void write(Path file, DemoConfig cfg, GoldJudge gold, DemoPrompts prompts, Demo.Result r)
            throws IOException {
        String html = render(cfg, gold, prompts, r);
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String render(DemoConfig cfg, GoldJudge gold, DemoPrompts prompts, Demo.Result r) throws IOException {
        GoldEvaluation e = r.evaluation();
        Demo.Round last = r.rounds().get(r.rounds().size() - 1);
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Tandem demo report</title><style>")
                .append("body{font-family:sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;color:#111}")
                .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;")
                .append("text-align:left;vertical-align:top}th{background:#f3f4f6}.num{text-align:right}")
                .append(".charts{display:flex;flex-wrap:wrap;gap:12px}.note{background:#fff7ed;border:1px solid ")
                .append("#fdba74;padding:8px 12px}.story{white-space:pre-wrap;max-width:480px}")
                .append("</style></head><body>\n");
        h.append("<h1>Tandem demo: RLHF on ").append(esc(cfg.model())).append("</h1>\n");
        h.append("<p class=\"note\"><b>Simulated feedback.</b> Every judgement in this run was made by a SIMULATED "
                + "annotator (<code>").append(esc(FeedbackCollector.ANNOTATOR)).append("</code>, annotator kind "
                + "<code>simulated</code> in the feedback store), not by people. Its hidden gold preference: ")
                .append(esc(gold.describe())).append(". It compares two stories by Bradley-Terry with temperature ")
                .append(fmt(cfg.annotatorTemperature())).append(" and then reports the other side with probability ")
                .append(fmt(cfg.annotatorError())).append(". The reward model and the policy saw only its "
                + "comparisons (prompt, chosen, rejected), never a gold score; gold scores appear only in evaluation "
                + "and in this report.</p>\n");

        h.append("<h2>Result</h2><table>");
        row(h, "gold win-rate of the tuned policy vs the original (fresh prompts, ties ½)",
                fmt(e.winRate().rate()) + " ± " + fmt(e.winRate().standardError()) + " (" + e.winRate().wins()
                        + " wins, " + e.winRate().ties() + " ties, " + e.winRate().losses() + " losses)");
        row(h, "KL(tuned ‖ original) on fresh prompts", fmt(e.kl()) + " ± " + fmt(e.klStdErr()) + " nats per response");
        row(h, "reward model held-out accuracy (last round)", fmt(last.rm().accuracy()) + " on " + last.rm().pairs()
                + " comparisons (ECE " + fmt(last.rm().ece()) + ")");
        row(h, "mean gold score on fresh prompts", "original " + fmt(e.goldOriginal()) + " → tuned " + fmt(e.goldTuned()));
        row(h, "mean reward-model score on fresh prompts", "original " + fmt(e.proxyOriginal()) + " → tuned "
                + fmt(e.proxyTuned()));
        row(h, "mean response length (tokens)", "original " + fmt(e.lengthOriginal()) + " → tuned " + fmt(e.lengthTuned()));
        row(h, "algorithm, reward model", cfg.algorithm().id() + ", " + cfg.rewardModel().id()
                + (cfg.algorithm() == DemoConfig.Algorithm.DPO ? " (DPO trains on the comparisons directly; the "
                        + "reward model only scores for the charts)" : ""));
        row(h, "rounds × comparisons × steps", cfg.rounds() + " × " + cfg.pairs() + " × " + cfg.steps());
        row(h, "fresh evaluation prompts", prompts.fresh().size() + " openings never used in training, "
                + cfg.evalSamples() + " samples each per policy");
        row(h, "seed", Long.toString(cfg.seed()));
        row(h, "wall time", String.format(Locale.ROOT, "%.0f s", r.seconds()));
        h.append("</table>\n");

        h.append("<h2>Rounds</h2><table><tr><th>round</th><th>pairs judged</th><th>annotator agrees with its gold</th>"
                + "<th>comparisons for training (cumulative)</th><th>RM train / held-out</th><th>RM held-out accuracy"
                + "</th><th>RM agrees with gold</th><th>RM ECE</th><th>policy steps</th><th>final training KL</th>"
                + "<th>seconds (RM, policy)</th></tr>");
        for (Demo.Round x : r.rounds()) {
            PolicyStage.Point lp = x.curve().get(x.curve().size() - 1);
            h.append("<tr><td>").append(x.round()).append("</td><td class=\"num\">").append(x.collected().judgements())
                    .append("</td><td class=\"num\">").append(fmt(x.collected().goldAgreement()))
                    .append("</td><td class=\"num\">").append(x.exported()).append("</td><td class=\"num\">")
                    .append(x.rmTrainPairs()).append(" / ").append(x.rm().pairs()).append("</td><td class=\"num\">")
                    .append(fmt(x.rm().accuracy())).append("</td><td class=\"num\">").append(fmt(x.rmGoldAgreement()))
                    .append("</td><td class=\"num\">").append(fmt(x.rm().ece())).append("</td><td class=\"num\">")
                    .append(x.curve().size()).append("</td><td class=\"num\">").append(fmt(lp.kl()))
                    .append("</td><td class=\"num\">").append(String.format(Locale.ROOT, "%.1f, %.1f", x.rmSeconds(),
                            x.policySeconds())).append("</td></tr>");
        }
        h.append("</table>\n");
        for (Demo.Round x : r.rounds()) {
            for (String w : x.warnings()) h.append("<p>Round ").append(x.round()).append(" warning: ").append(esc(w)).append("</p>");
        }

        h.append("<h2>Reward against KL</h2><p>Gao et al. (2022): optimising a learned proxy reward raises it "
                + "steadily with KL, while the true (here: hidden gold) reward rises, flattens and can fall — "
                + "reward-model over-optimisation. Both curves are the training rollouts' mean, as the gain since the "
                + "first step (proxy in reward-model units, gold in gold-score units).</p><div class=\"charts\">");
        h.append(Plots.svgScatter("Gain in reward vs KL to the original (training rollouts)", "KL (nats per response)",
                gains(r, true)));
        h.append(Plots.svgLines("Rewards over training", "policy step (all rounds)", gains(r, false)));
        h.append("</div>\n<div class=\"charts\">");
        h.append(Plots.svgLines("KL to the original", "policy step (all rounds)", Map.of("KL (nats per response)",
                series(r, p -> p.kl()))));
        h.append(Plots.svgLines("Policy losses", "policy step (all rounds)", losses(r)));
        h.append("</div>\n<h2>Reward model</h2><div class=\"charts\">");
        h.append(Plots.svgLines("Reward-model training loss", "optimizer step", rmLosses(r)));
        h.append(Plots.svgLines("Calibration on held-out comparisons (last round)", "confidence σ(r_chosen − r_rejected)",
                calibration(last.rm())));
        h.append("</div>\n");
        h.append(calibrationTable(last.rm()));

        h.append("<h2>Before and after, on fresh prompts</h2><p>The first sample of the original and of the tuned "
                + "policy for the first fresh prompts (same sampling seed; not selected).</p>");
        h.append("<table><tr><th>prompt</th><th>original</th><th>tuned</th></tr>");
        for (GoldEvaluation.Example x : e.examples()) {
            h.append("<tr><td>").append(esc(x.prompt())).append("</td><td class=\"story\">").append(esc(x.before()))
                    .append("<br><small>gold ").append(fmt(x.goldBefore())).append("</small></td><td class=\"story\">")
                    .append(esc(x.after())).append("<br><small>gold ").append(fmt(x.goldAfter()))
                    .append("</small></td></tr>");
        }
        h.append("</table>\n");

        h.append("<h2>Files</h2><ul>");
        h.append("<li><code>feedback.db</code>: the feedback store (SQLite): prompts, responses with model and version, "
                + "tasks, simulated judgements</li>");
        h.append("<li><code>round-N/comparisons.jsonl</code>: the comparisons exported from the store for training</li>");
        h.append("<li><code>round-N/reward-model/</code>: reward-model run (metrics, model)</li>");
        h.append("<li><code>round-N/curve.jsonl</code>: per policy step, KL, reward-model and gold reward of the "
                + "rollouts, losses (the charts' data)</li>");
        h.append("<li><code>round-N/policy/</code>: policy run (config, metrics.jsonl, samples.jsonl, checkpoints, "
                + "<code>final/</code>)</li>");
        h.append("<li><code>results.json</code>, <code>config.json</code></li></ul>");
        h.append("</body></html>\n");
        return h.toString();
    }

    private static Map<String, double[][]> gains(Demo.Result r, boolean againstKl) {
        List<PolicyStage.Point> pts = all(r);
        List<double[]> proxy = new ArrayList<>(), gold = new ArrayList<>();
        double p0 = Double.NaN, g0 = Double.NaN;
        int i = 0;
        for (PolicyStage.Point p : pts) {
            i++;
            if (!Double.isFinite(p.proxy())) continue;
            if (Double.isNaN(p0)) {
                p0 = p.proxy();
                g0 = p.gold();
            }
            double x = againstKl ? p.kl() : i;
            proxy.add(new double[] {x, p.proxy() - p0});
            gold.add(new double[] {x, p.gold() - g0});
        }
        Map<String, double[][]> m = new LinkedHashMap<>();
        m.put("reward model (proxy)", toSeries(proxy));
        m.put("hidden gold", toSeries(gold));
        return m;
    }

    private static Map<String, double[][]> losses(Demo.Result r) {
        List<PolicyStage.Point> pts = all(r);
        Map<String, List<double[]>> by = new LinkedHashMap<>();
        int i = 0;
        for (PolicyStage.Point p : pts) {
            i++;
            for (var e : p.losses().entrySet()) by.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new double[] {i, e.getValue()});
        }
        Map<String, double[][]> m = new LinkedHashMap<>();
        by.forEach((k, v) -> m.put(k, toSeries(v)));
        return m;
    }

    private static Map<String, double[][]> rmLosses(Demo.Result r) throws IOException {
        Map<String, double[][]> m = new LinkedHashMap<>();
        for (Demo.Round x : r.rounds()) {
            Path metrics = x.dir().resolve("reward-model").resolve("metrics.jsonl");
            if (!Files.isRegularFile(metrics)) continue;
            List<double[]> pts = new ArrayList<>();
            for (Map<String, Object> row : MetricsLog.read(metrics)) {
                if (row.get("step") instanceof Number s && row.get("loss") instanceof Number l) {
                    pts.add(new double[] {s.doubleValue(), l.doubleValue()});
                }
            }
            m.put("round " + x.round() + " (Bradley-Terry loss)", toSeries(pts));
        }
        return m;
    }

    private static Map<String, double[][]> calibration(Evaluation.Report rm) {
        List<double[]> pts = new ArrayList<>();
        for (Evaluation.Bin b : rm.calibration()) if (b.count() > 0) pts.add(new double[] {b.confidence(), b.accuracy()});
        Map<String, double[][]> m = new LinkedHashMap<>();
        m.put("reward model (accuracy per bin)", toSeries(pts));
        m.put("perfect calibration", new double[][] {{0.5, 1}, {0.5, 1}});
        return m;
    }

    private static String calibrationTable(Evaluation.Report rm) {
        StringBuilder h = new StringBuilder("<table><tr><th>confidence bin</th><th>pairs</th><th>mean confidence</th>"
                + "<th>accuracy</th></tr>");
        for (Evaluation.Bin b : rm.calibration()) {
            if (b.count() == 0) continue;
            h.append("<tr><td>").append(fmt(b.lower())).append("–").append(fmt(b.upper())).append("</td><td class=\"num\">")
                    .append(b.count()).append("</td><td class=\"num\">").append(fmt(b.confidence()))
                    .append("</td><td class=\"num\">").append(fmt(b.accuracy())).append("</td></tr>");
        }
        return h.append("</table>\n").toString();
    }

    private static double[][] series(Demo.Result r, java.util.function.ToDoubleFunction<PolicyStage.Point> f) {
        List<double[]> pts = new ArrayList<>();
        int i = 0;
        for (PolicyStage.Point p : all(r)) {
            i++;
            pts.add(new double[] {i, f.applyAsDouble(p)});
        }
        return toSeries(pts);
    }

    private static List<PolicyStage.Point> all(Demo.Result r) {
        List<PolicyStage.Point> pts = new ArrayList<>();
        for (Demo.Round x : r.rounds()) pts.addAll(x.curve());
        return pts;
    }

    private static double[][] toSeries(List<double[]> pts) {
        double[][] s = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            s[0][i] = pts.get(i)[0];
            s[1][i] = pts.get(i)[1];
        }
        return s;
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>");
    }

    static String esc(String s) {
        return Plots.esc(s);
    }

    static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "n/a";
    }
}
