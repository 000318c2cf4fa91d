package dev.tandem.model;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: {@code label [#####.....] 42/100 12.3/s eta 4s | loss 0.61}. Redraws at most
 * ten times a second; on a non-terminal stderr (CI logs) it prints a plain line every 10%.
 */
public final class Progress implements AutoCloseable {
    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private long lastDraw;
    private int lastDecile = -1;
    private long done;
    private String status = "";

    public Progress(String label, long total) {
        this(label, total, System.err, System.console() != null);
    }

    Progress(String label, long total, PrintStream out, boolean terminal) {
        this.label = label;
        this.total = Math.max(total, 1);
        this.out = out;
        this.terminal = terminal;
    }

    /** Sets the count of finished units and an optional status shown after the bar. */
    public void update(long doneUnits, String statusText) {
        this.done = Math.min(doneUnits, total);
        this.status = statusText == null ? "" : statusText;
        draw(false);
    }

    public void step(String statusText) {
        update(done + 1, statusText);
    }

    private void draw(boolean last) {
        long now = System.nanoTime();
        int decile = (int) (10 * done / total);
        if (terminal) {
            if (!last && now - lastDraw < 100_000_000L && done < total) return;
            lastDraw = now;
            out.print("\r" + line(now) + "\u001b[K");
            if (last) out.println();
        } else if (decile != lastDecile || last) {
            lastDecile = decile;
            out.println(line(now));
        }
        out.flush();
    }

    private String line(long now) {
        double secs = (now - startNanos) / 1e9;
        int width = 24, filled = (int) (width * done / total);
        double rate = secs > 0 ? done / secs : 0;
        String eta = rate > 0 && done < total ? String.format(Locale.ROOT, " eta %.0fs", (total - done) / rate) : "";
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d %.1f/s%s%s", label, "#".repeat(filled),
                ".".repeat(width - filled), done, total, rate, eta, status.isEmpty() ? "" : " | " + status);
    }

    @Override
    public void close() {
        draw(true);
    }
}
