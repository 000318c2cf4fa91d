package dev.tandem.reward;

/**
 * The reward-model losses on the host, in double precision, with their gradients with respect to the rewards.
 * {@link TensorLosses} computes the same values on the tensor engine for training; tests hold the two to each other
 * and to values worked out by hand.
 *
 * <p>With d = r_a − r_b:
 * <ul>
 *   <li>Bradley-Terry: {@code P(a ≻ b) = σ(d − m)}, loss {@code softplus(m − d)}.</li>
 *   <li>Rao-Kupper (θ = e^η &gt; 1): {@code P(a ≻ b) = σ(d − m − η)},
 *       {@code P(tie) = σ(η − d) − σ(−η − d)}.</li>
 *   <li>Davidson (ν &gt; 0): {@code P(a ≻ b) = e^{(d−m)/2} / Z}, {@code P(tie) = ν / Z},
 *       {@code Z = e^{d/2} + e^{−d/2} + ν} (for wins with a margin, d − m in place of d).</li>
 *   <li>Plackett-Luce over a ranking, ties handled as Breslow does:
 *       {@code −Σ_i [r_i − log Σ_{j: rank_j ≥ rank_i} e^{r_j}]}.</li>
 *   <li>Ratings s ∈ 1..7: regression {@code (r − (s − 4))²}, or ordinal (cumulative logit) with cut points
 *       {@code c_k = k − 3.5}: {@code P(s) = σ(c_s − r) − σ(c_{s−1} − r)}, {@code c_0 = −∞}, {@code c_7 = +∞}.</li>
 *   <li>Centring (TRL): {@code + c · (Σ_i r_i)²} per comparison of two or more responses.</li>
 * </ul>
 */
public final class Losses {
    private Losses() {}

    /**
     * The loss of one comparison. {@code r[i]} is the reward of {@code c.responses().get(i)}; when {@code grad} is
     * not null, ∂loss/∂r[i] is added to {@code grad[i]}.
     */
    public static double loss(Comparison c, double[] r, LossConfig cfg, double[] grad) {
        double loss;
        double[] g = new double[r.length];
        if (c instanceof Comparison.Preferred p) {
            double d = r[0] - r[1];
            double[] lg = switch (cfg.ties()) {
                case DROP -> bradleyTerry(d, p.margin());
                case RAO_KUPPER -> raoKupperWin(d, p.margin(), Math.log(cfg.tieParameter()));
                case DAVIDSON -> davidsonWin(d, p.margin(), cfg.tieParameter());
            };
            loss = lg[0];
            g[0] = lg[1];
            g[1] = -lg[1];
        } else if (c instanceof Comparison.Tie) {
            double d = r[0] - r[1];
            double[] lg = switch (cfg.ties()) {
                case DROP -> throw new IllegalArgumentException("a tie with ties dropped");
                case RAO_KUPPER -> raoKupperTie(d, Math.log(cfg.tieParameter()));
                case DAVIDSON -> davidsonTie(d, cfg.tieParameter());
            };
            loss = lg[0];
            g[0] = lg[1];
            g[1] = -lg[1];
        } else if (c instanceof Comparison.Rated q) {
            double[] lg = cfg.ratings() == LossConfig.RatingLoss.REGRESSION ? regression(r[0], q.score())
                    : ordinal(r[0], q.score());
            loss = lg[0];
            g[0] = lg[1];
        } else {
            loss = plackettLuce(r, ((Comparison.Ranking) c).ranks(), g);
        }
        if (cfg.centerCoefficient() > 0 && r.length > 1) {
            double sum = 0;
            for (double v : r) sum += v;
            loss += cfg.centerCoefficient() * sum * sum;
            for (int i = 0; i < r.length; i++) g[i] += 2 * cfg.centerCoefficient() * sum;
        }
        if (grad != null) for (int i = 0; i < r.length; i++) grad[i] += g[i];
        return loss;
    }

    /** {@code log(1 + e^x)} without overflow. */
    public static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    public static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** {@code -log σ(d − m)} and its derivative in d. */
    static double[] bradleyTerry(double d, double m) {
        return new double[] {softplus(m - d), -sigmoid(m - d)};
    }

    /** Rao-Kupper win: {@code -log σ(d − m − η)}. */
    static double[] raoKupperWin(double d, double m, double eta) {
        return bradleyTerry(d, m + eta);
    }

    /**
     * Rao-Kupper tie: {@code P = σ(η − d) − σ(−η − d)}; with u = −d,
     * {@code log P = u + log(2 sinh η) − softplus(u + η) − softplus(u − η)}.
     */
    static double[] raoKupperTie(double d, double eta) {
        double u = -d;
        double logP = u + Math.log(2 * Math.sinh(eta)) - softplus(u + eta) - softplus(u - eta);
        double dLogPdU = 1 - sigmoid(u + eta) - sigmoid(u - eta);
        return new double[] {-logP, dLogPdU}; // ∂(−log P)/∂d = ∂log P/∂u
    }

    /** Davidson win: {@code -[(d−m)/2 − log(e^{(d−m)/2} + e^{−(d−m)/2} + ν)]}. */
    static double[] davidsonWin(double d, double m, double nu) {
        double x = d - m;
        double[] z = davidsonLogZ(x, nu);
        // ∂/∂x of −x/2 + log Z = −1/2 + (p_win − p_lose)/2
        return new double[] {-(x / 2 - z[0]), -0.5 + z[1] / 2};
    }

    /** Davidson tie: {@code -[log ν − log(e^{d/2} + e^{−d/2} + ν)]}. */
    static double[] davidsonTie(double d, double nu) {
        double[] z = davidsonLogZ(d, nu);
        return new double[] {-(Math.log(nu) - z[0]), z[1] / 2};
    }

    /** {log Z, p_win − p_lose} for {@code Z = e^{x/2} + e^{−x/2} + ν}. */
    private static double[] davidsonLogZ(double x, double nu) {
        double a = x / 2, b = -x / 2, c = Math.log(nu);
        double mx = Math.max(a, Math.max(b, c));
        double ea = Math.exp(a - mx), eb = Math.exp(b - mx), ec = Math.exp(c - mx);
        double s = ea + eb + ec;
        return new double[] {mx + Math.log(s), (ea - eb) / s};
    }

    /** Regression of a rating: {@code (r − (s − 4))²}. */
    static double[] regression(double r, int score) {
        double e = r - (score - 4);
        return new double[] {e * e, 2 * e};
    }

    /** The ordinal (cumulative-logit) loss of a rating, cut points {@code k − 3.5} between scores k and k + 1. */
    static double[] ordinal(double r, int score) {
        if (score == Comparison.Rated.MIN) {
            double cut = Comparison.Rated.MIN - 3.5;    // c_1, between 1 and 2
            return new double[] {softplus(r - cut), sigmoid(r - cut)};
        }
        if (score == Comparison.Rated.MAX) {
            double cut = Comparison.Rated.MAX - 4.5;    // c_6, between 6 and 7
            return new double[] {softplus(cut - r), -sigmoid(cut - r)};
        }
        // P = σ(u + η) − σ(u − η) with u = s − 4 − r (the midpoint of the two cut points minus r), η = 1/2
        double u = score - 4 - r, eta = 0.5;
        double logP = u + Math.log(2 * Math.sinh(eta)) - softplus(u + eta) - softplus(u - eta);
        return new double[] {-logP, 1 - sigmoid(u + eta) - sigmoid(u - eta)};
    }

    /**
     * Plackett-Luce negative log-likelihood of a ranking (0 = best; equal ranks share their denominators, as in
     * Breslow's approximation); adds the gradient into {@code g}.
     */
    static double plackettLuce(double[] r, int[] ranks, double[] g) {
        int k = r.length;
        double loss = 0;
        for (int i = 0; i < k; i++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) if (ranks[j] >= ranks[i]) mx = Math.max(mx, r[j]);
            double s = 0;
            for (int j = 0; j < k; j++) if (ranks[j] >= ranks[i]) s += Math.exp(r[j] - mx);
            double logDen = mx + Math.log(s);
            loss -= r[i] - logDen;
            g[i] -= 1;
            for (int j = 0; j < k; j++) if (ranks[j] >= ranks[i]) g[j] += Math.exp(r[j] - logDen);
        }
        return loss;
    }
}
