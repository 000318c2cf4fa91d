package dev.tandem.reward;

/**
 * How comparisons become a loss.
 *
 * @param ties              what to do with ties: drop them, or model them with Rao-Kupper or Davidson
 * @param tieParameter      Rao-Kupper's θ (&gt; 1) or Davidson's ν (&gt; 0); ignored when ties are dropped
 * @param rankings          rankings of K: Plackett-Luce likelihood, or expanded into all pairs of different ranks
 * @param marginScale       margin for pairs with a preference strength: slightly = 1/3, clearly = 2/3, much = 1, times
 *                          this scale (Llama 2's margin loss {@code -log σ(r_c − r_r − m)}); 0 turns margins off
 * @param centerCoefficient TRL's {@code center_rewards_coefficient}: adds {@code c · (Σ rewards of a comparison)²}
 * @param ratings           ratings (1..7): regression of the reward on {@code score − 4}, or an ordinal
 *                          (cumulative-logit) likelihood with cut points halfway between scores, {@code k − 3.5}
 */
public record LossConfig(TieModel ties, double tieParameter, RankingLoss rankings, double marginScale,
        double centerCoefficient, RatingLoss ratings) {

    /** Absolute ratings. */
    public enum RatingLoss { REGRESSION, ORDINAL }

    /** Ties: dropped, or a likelihood with a tie outcome. */
    public enum TieModel { DROP, RAO_KUPPER, DAVIDSON }

    /** Rankings of K responses. */
    public enum RankingLoss { PLACKETT_LUCE, ALL_PAIRS }

    public LossConfig {
        java.util.Objects.requireNonNull(ties, "ties");
        java.util.Objects.requireNonNull(rankings, "rankings");
        java.util.Objects.requireNonNull(ratings, "ratings");
        if (ties == TieModel.RAO_KUPPER && !(tieParameter > 1)) {
            throw new IllegalArgumentException("Rao-Kupper θ must be > 1, got " + tieParameter);
        }
        if (ties == TieModel.DAVIDSON && !(tieParameter > 0)) {
            throw new IllegalArgumentException("Davidson ν must be > 0, got " + tieParameter);
        }
        if (!(marginScale >= 0) || !Double.isFinite(marginScale)) {
            throw new IllegalArgumentException("margin scale must be >= 0, got " + marginScale);
        }
        if (!(centerCoefficient >= 0) || !Double.isFinite(centerCoefficient)) {
            throw new IllegalArgumentException("center coefficient must be >= 0, got " + centerCoefficient);
        }
    }

    /** Plain Bradley-Terry: ties dropped, rankings as Plackett-Luce, no margin, no centring. */
    public static LossConfig defaults() {
        return new LossConfig(TieModel.DROP, 0, RankingLoss.PLACKETT_LUCE, 0, 0, RatingLoss.ORDINAL);
    }

    /** The default tie parameter of a tie model: θ = 1.5 (Rao-Kupper), ν = 0.5 (Davidson). */
    public static double defaultTieParameter(TieModel m) {
        return switch (m) {
            case DROP -> 0;
            case RAO_KUPPER -> 1.5;
            case DAVIDSON -> 0.5;
        };
    }

    public LossConfig withTies(TieModel m, double parameter) {
        return new LossConfig(m, parameter, rankings, marginScale, centerCoefficient, ratings);
    }

    public LossConfig withRankings(RankingLoss r) {
        return new LossConfig(ties, tieParameter, r, marginScale, centerCoefficient, ratings);
    }

    public LossConfig withMarginScale(double s) {
        return new LossConfig(ties, tieParameter, rankings, s, centerCoefficient, ratings);
    }

    public LossConfig withRatings(RatingLoss r) {
        return new LossConfig(ties, tieParameter, rankings, marginScale, centerCoefficient, r);
    }

    public LossConfig withCenterCoefficient(double c) {
        return new LossConfig(ties, tieParameter, rankings, marginScale, c, ratings);
    }
}
