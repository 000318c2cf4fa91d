package dev.tandem.feedback;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Per-dataset labelling settings.
 *
 * @param overlap how many distinct annotators judge each (non-gold) task, 1..50
 * @param goldRate probability in [0, 1] that {@code nextTask} serves an unseen gold task instead of a regular one
 * @param leaseTimeout how long an assignment is reserved for its annotator before it returns to the queue
 * @param ratingFlags the flags a rating may carry (lower-case identifiers such as {@code harmful})
 */
public record DatasetSettings(int overlap, double goldRate, Duration leaseTimeout, List<String> ratingFlags) {

    /** Flags offered when a dataset does not configure its own. */
    public static final List<String> DEFAULT_FLAGS =
            List.of("harmful", "factually_wrong", "off_topic", "refuses_needlessly", "other");

    private static final Pattern FLAG = Pattern.compile("[a-z][a-z0-9_]{0,39}");

    public DatasetSettings {
        if (overlap < 1 || overlap > 50) throw new IllegalArgumentException("overlap must be in 1..50, got " + overlap);
        if (!(goldRate >= 0 && goldRate <= 1)) throw new IllegalArgumentException("goldRate must be in [0, 1], got " + goldRate);
        Objects.requireNonNull(leaseTimeout, "leaseTimeout");
        if (leaseTimeout.isNegative() || leaseTimeout.isZero() || leaseTimeout.compareTo(Duration.ofDays(7)) > 0)
            throw new IllegalArgumentException("leaseTimeout must be between 1 second and 7 days, got " + leaseTimeout);
        ratingFlags = List.copyOf(ratingFlags);
        for (String f : ratingFlags)
            if (!FLAG.matcher(f).matches()) throw new IllegalArgumentException("bad rating flag '" + f + "': use [a-z][a-z0-9_]*");
        if (ratingFlags.stream().distinct().count() != ratingFlags.size())
            throw new IllegalArgumentException("duplicate rating flags: " + ratingFlags);
    }

    /** Overlap 1, no gold, 30-minute leases, the default flags. */
    public static DatasetSettings defaults() {
        return new DatasetSettings(1, 0.0, Duration.ofMinutes(30), DEFAULT_FLAGS);
    }

    public DatasetSettings withOverlap(int n) { return new DatasetSettings(n, goldRate, leaseTimeout, ratingFlags); }
    public DatasetSettings withGoldRate(double r) { return new DatasetSettings(overlap, r, leaseTimeout, ratingFlags); }
    public DatasetSettings withLeaseTimeout(Duration d) { return new DatasetSettings(overlap, goldRate, d, ratingFlags); }
    public DatasetSettings withRatingFlags(List<String> f) { return new DatasetSettings(overlap, goldRate, leaseTimeout, f); }
}
