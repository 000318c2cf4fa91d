package dev.tandem.feedback.sim;

import java.util.SplittableRandom;

/**
 * A stand-in for a person comparing two responses, driven by a hidden {@link GoldPreference}. It is labelled as
 * simulated wherever its judgements appear (its annotator kind is {@code simulated}).
 *
 * <p>A comparison follows Bradley-Terry: A wins with probability σ((gold(A) − gold(B)) / temperature); then, with
 * probability {@code errorRate}, the annotator slips and reports the other side. Deterministic for a seed.
 */
public final class SimulatedAnnotator {
    private final GoldPreference gold;
    private final double temperature;
    private final double errorRate;
    private final SplittableRandom random;

    /** What the annotator said about one pair, with the gold scores it never reports. */
    public record Verdict(boolean firstWins, double goldFirst, double goldSecond, double probabilityFirst) {}

    public SimulatedAnnotator(GoldPreference gold, double temperature, double errorRate, long seed) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        if (!(errorRate >= 0 && errorRate <= 0.5)) {
            throw new IllegalArgumentException("errorRate must be in [0, 0.5], got " + errorRate);
        }
        this.gold = gold;
        this.temperature = temperature;
        this.errorRate = errorRate;
        this.random = new SplittableRandom(seed);
    }

    public GoldPreference gold() { return gold; }

    /** Compares two responses to the same prompt. */
    public synchronized Verdict compare(String first, String second) {
        double a = gold.score(first), b = gold.score(second);
        double p = 1 / (1 + Math.exp(-(a - b) / temperature));
        boolean firstWins = random.nextDouble() < p;
        if (random.nextDouble() < errorRate) firstWins = !firstWins;
        return new Verdict(firstWins, a, b, p);
    }
}
