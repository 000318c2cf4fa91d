package dev.tandem.train;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Small dependency-free SVG charts for HTML reports. All text is XML-escaped. */
public final class Plots {
    private Plots() {}

    private static final String[] COLORS = {"#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"};

    /**
     * A line chart: each series is {@code double[][] {xs, ys}}. Non-finite points are skipped.
     */
    public static String svgLines(String title, String xLabel, Map<String, double[][]> series) {
        return chart(title, xLabel, series, false);
    }

    /** A scatter plot with the same input as {@link #svgLines}. */
    public static String svgScatter(String title, String xLabel, Map<String, double[][]> series) {
        return chart(title, xLabel, series, true);
    }

    private static String chart(String title, String xLabel, Map<String, double[][]> series, boolean scatter) {
        int w = 560, h = 320, left = 56, right = 16, top = 32, bottom = 44;
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (double[][] s : series.values()) {
            for (int i = 0; i < s[0].length; i++) {
                if (!Double.isFinite(s[0][i]) || !Double.isFinite(s[1][i])) continue;
                minX = Math.min(minX, s[0][i]); maxX = Math.max(maxX, s[0][i]);
                minY = Math.min(minY, s[1][i]); maxY = Math.max(maxY, s[1][i]);
            }
        }
        if (!Double.isFinite(minX)) { minX = 0; maxX = 1; minY = 0; maxY = 1; }
        if (maxX == minX) maxX = minX + 1;
        if (maxY == minY) { maxY += 0.5; minY -= 0.5; }
        double pad = (maxY - minY) * 0.05;
        minY -= pad; maxY += pad;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">", w, h, w, h));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\">%s</text>", left, esc(title)));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#ccc\"/>",
                left, top, w - left - right, h - top - bottom));
        for (int i = 0; i <= 4; i++) {
            double yv = minY + (maxY - minY) * i / 4, xv = minX + (maxX - minX) * i / 4;
            double py = top + (h - top - bottom) * (1 - i / 4.0), px = left + (w - left - right) * i / 4.0;
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", left - 4, py + 4, fmt(yv)));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", px, h - bottom + 14, fmt(xv)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", (left + w - right) / 2, h - 8, esc(xLabel)));
        int k = 0, legendY = top + 12;
        for (var e : series.entrySet()) {
            String color = COLORS[k++ % COLORS.length];
            double[][] s = e.getValue();
            StringBuilder path = new StringBuilder();
            for (int i = 0; i < s[0].length; i++) {
                if (!Double.isFinite(s[0][i]) || !Double.isFinite(s[1][i])) continue;
                double px = left + (w - left - right) * (s[0][i] - minX) / (maxX - minX);
                double py = top + (h - top - bottom) * (1 - (s[1][i] - minY) / (maxY - minY));
                if (scatter) {
                    sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" fill-opacity=\"0.6\"/>", px, py, color));
                } else {
                    path.append(path.length() == 0 ? "M" : "L").append(String.format(Locale.ROOT, "%.1f %.1f ", px, py));
                }
            }
            if (!scatter && path.length() > 0) {
                sb.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.6\"/>");
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>", w - right - 150, legendY, color, esc(e.getKey())));
            legendY += 14;
        }
        return sb.append("</svg>").toString();
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-2 || a >= 1e5)) return String.format(Locale.ROOT, "%.1e", v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : "%.2f", v);
    }

    /** Escapes text for HTML and SVG. */
    public static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Convenience: a series from a list of y values at x = 0, 1, 2, ... */
    public static double[][] indexed(List<Double> ys) {
        double[][] s = new double[2][ys.size()];
        for (int i = 0; i < ys.size(); i++) { s[0][i] = i; s[1][i] = ys.get(i); }
        return s;
    }
}
