package dev.tandem.reward;

import dev.tandem.train.Plots;
import dev.tandem.train.RunDirectory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The evaluation as a text table (for the terminal), {@code eval.json} and an HTML report with inline SVG plots. */
public final class EvalReports {
    private EvalReports() {}

    /** Most points drawn in the reward-vs-length scatter (an even subsample beyond that). */
    static final int SCATTER_POINTS = 1500;

    /** A small table of the headline metrics; a length-biased model is flagged on its own line. */
    public static String table(Evaluation.Report r) {
        StringBuilder sb = new StringBuilder();
        row(sb, "pairs", Integer.toString(r.pairs()) + (r.ties() > 0 ? " (+" + r.ties() + " ties not scored)" : ""));
        row(sb, "accuracy", f3(r.accuracy()));
        row(sb, "loss (BT)", f3(r.loss()));
        row(sb, "margin (mean r_c - r_r)", f3(r.margin()));
        row(sb, "ECE of sigma(r_c - r_r)", f3(r.ece()));
        row(sb, "reward min / mean / max", f3(r.minReward()) + " / " + f3(r.meanReward()) + " / " + f3(r.maxReward()));
        row(sb, "\"longer wins\" baseline", f3(r.longerWins()));
        row(sb, "model prefers longer", f3(r.prefersLonger()));
        row(sb, "accuracy, shorter chosen", f3(r.accuracyShorterChosen()) + " (" + r.shorterChosenPairs() + " pairs)");
        row(sb, "Spearman(reward, length)", f3(r.lengthSpearman()));
        if (r.lengthBiased()) {
            sb.append("WARNING: length bias - the model prefers the longer reply in ")
                    .append(pct(r.prefersLonger())).append(" of pairs; people chose it in ").append(pct(r.longerWins()))
                    .append('\n');
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String k, String v) {
        sb.append(String.format(Locale.ROOT, "%-28s %s%n", k, v));
    }

    static String f3(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    /** The JSON object written to {@code eval.json}. */
    public static Map<String, Object> json(Evaluation.Report r, Map<String, Object> context) {
        Map<String, Object> m = new LinkedHashMap<>(context);
        m.put("pairs", r.pairs());
        m.put("ties", r.ties());
        for (var e : r.metrics().entrySet()) m.put(e.getKey(), finite(e.getValue()));
        m.put("shorter_chosen_pairs", r.shorterChosenPairs());
        m.put("length_biased", r.lengthBiased());
        List<Map<String, Object>> bins = new ArrayList<>();
        for (Evaluation.Bin b : r.calibration()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("lower", b.lower());
            o.put("upper", b.upper());
            o.put("count", b.count());
            o.put("confidence", finite(b.confidence()));
            o.put("accuracy", finite(b.accuracy()));
            bins.add(o);
        }
        m.put("calibration", bins);
        return m;
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? (Object) v : null;
    }

    /** Writes {@code eval.json} and {@code report.html} into {@code dir} (each atomically); returns the report path. */
    public static Path write(Path dir, Evaluation.Report r, Map<String, Object> context) throws IOException {
        Files.createDirectories(dir);
        RunDirectory.writeJsonAtomically(dir.resolve("eval.json"), json(r, context));
        Path html = dir.resolve("report.html");
        Path tmp = dir.resolve(".report.html.tmp");
        Files.writeString(tmp, html(r, context), StandardCharsets.UTF_8);
        Files.move(tmp, html, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return html;
    }

    /** A self-contained HTML page: the table, a reliability diagram and a reward-vs-length scatter. */
    public static String html(Evaluation.Report r, Map<String, Object> context) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Reward model evaluation</title>")
                .append("<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}")
                .append(".warn{background:#fee2e2;border:1px solid #dc2626;padding:8px;margin:1em 0}</style></head><body>")
                .append("<h1>Reward model evaluation</h1><table>");
        for (var e : context.entrySet()) tr(sb, e.getKey(), String.valueOf(e.getValue()));
        tr(sb, "pairs", r.pairs() + (r.ties() > 0 ? " (+" + r.ties() + " ties not scored)" : ""));
        tr(sb, "accuracy", f3(r.accuracy()));
        tr(sb, "loss (Bradley-Terry)", f3(r.loss()));
        tr(sb, "margin (mean r_c − r_r)", f3(r.margin()));
        tr(sb, "ECE of σ(r_c − r_r)", f3(r.ece()));
        tr(sb, "reward min / mean / max", f3(r.minReward()) + " / " + f3(r.meanReward()) + " / " + f3(r.maxReward()));
        tr(sb, "“longer wins” baseline accuracy", f3(r.longerWins()));
        tr(sb, "model prefers the longer reply", f3(r.prefersLonger()));
        tr(sb, "accuracy where people chose the shorter reply", f3(r.accuracyShorterChosen()) + " (" + r.shorterChosenPairs() + " pairs)");
        tr(sb, "Spearman(reward, length in characters)", f3(r.lengthSpearman()));
        sb.append("</table>");
        if (r.lengthBiased()) {
            sb.append("<p class=\"warn\">Length bias: the model prefers the longer reply in ").append(pct(r.prefersLonger()))
                    .append(" of pairs, people chose it in ").append(pct(r.longerWins())).append(".</p>");
        }
        // reliability diagram
        List<Double> cx = new ArrayList<>(), cy = new ArrayList<>();
        for (Evaluation.Bin b : r.calibration()) {
            if (b.count() == 0) continue;
            cx.add(b.confidence());
            cy.add(b.accuracy());
        }
        Map<String, double[][]> cal = new LinkedHashMap<>();
        cal.put("model (accuracy per confidence bin)", new double[][] {unbox(cx), unbox(cy)});
        cal.put("perfect calibration", new double[][] {{0.5, 1.0}, {0.5, 1.0}});
        sb.append("<h2>Calibration</h2><p>Confidence max(p, 1 − p) of p = σ(r_chosen − r_rejected), binned; ECE ")
                .append(Plots.esc(f3(r.ece()))).append(".</p>")
                .append(Plots.svgLines("Reliability: accuracy vs confidence", "confidence", cal));
        // reward vs length
        List<Evaluation.ScoredPair> s = r.scored();
        int step = Math.max(1, (s.size() + SCATTER_POINTS - 1) / SCATTER_POINTS);
        List<Double> lx = new ArrayList<>(), ly = new ArrayList<>(), rx = new ArrayList<>(), ry = new ArrayList<>();
        for (int i = 0; i < s.size(); i += step) {
            lx.add((double) s.get(i).chosenLength());
            ly.add(s.get(i).chosenReward());
            rx.add((double) s.get(i).rejectedLength());
            ry.add(s.get(i).rejectedReward());
        }
        Map<String, double[][]> sc = new LinkedHashMap<>();
        sc.put("chosen", new double[][] {unbox(lx), unbox(ly)});
        sc.put("rejected", new double[][] {unbox(rx), unbox(ry)});
        sb.append("<h2>Reward vs length</h2><p>Spearman correlation ").append(Plots.esc(f3(r.lengthSpearman())))
                .append(step > 1 ? " (every " + step + "th pair drawn)" : "").append(".</p>")
                .append(Plots.svgScatter("Reward vs response length", "length (characters)", sc));
        return sb.append("</body></html>\n").toString();
    }

    private static void tr(StringBuilder sb, String k, String v) {
        sb.append("<tr><th>").append(Plots.esc(k)).append("</th><td>").append(Plots.esc(v)).append("</td></tr>");
    }

    private static double[] unbox(List<Double> l) {
        double[] a = new double[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }
}
