package dev.tandem.loop;

/**
 * Head-to-head result of one policy against another on the same prompts: response {@code i} of each side is
 * compared by its gold score; a tie counts half.
 *
 * @param wins   comparisons the first side won
 * @param ties   comparisons with equal scores
 * @param losses comparisons the first side lost
 */
public record WinRate(int wins, int ties, int losses) {

    public WinRate {
        if (wins < 0 || ties < 0 || losses < 0) throw new IllegalArgumentException("counts must be >= 0");
    }

    /** Compares {@code first[i]} with {@code second[i]} for every i; NaN scores are an error. */
    public static WinRate of(double[] first, double[] second) {
        if (first.length != second.length) {
            throw new IllegalArgumentException("the sides differ in size: " + first.length + " vs " + second.length);
        }
        if (first.length == 0) throw new IllegalArgumentException("nothing to compare");
        int w = 0, t = 0, l = 0;
        for (int i = 0; i < first.length; i++) {
            if (Double.isNaN(first[i]) || Double.isNaN(second[i])) {
                throw new IllegalArgumentException("comparison " + i + " has a NaN score");
            }
            int c = Double.compare(first[i], second[i]);
            if (first[i] == second[i]) t++; // also +0.0 vs -0.0
            else if (c > 0) w++;
            else l++;
        }
        return new WinRate(w, t, l);
    }

    public int comparisons() { return wins + ties + losses; }

    /** (wins + ties / 2) / comparisons. */
    public double rate() { return (wins + 0.5 * ties) / comparisons(); }

    /**
     * Standard error of the rate, treating each comparison as an independent draw with outcome 1, ½ or 0.
     */
    public double standardError() {
        int n = comparisons();
        double p = rate();
        double second = (wins + 0.25 * ties) / n;
        double var = Math.max(0, second - p * p);
        return n > 1 ? Math.sqrt(var / (n - 1)) : Double.NaN;
    }
}
