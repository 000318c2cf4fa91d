package dev.tandem.rl;

/**
 * How a policy-optimisation run is driven and recorded.
 *
 * @param steps           steps to train
 * @param checkpointEvery steps between checkpoints (0: only the last step)
 * @param sampleEvery     steps between sample logs (the first step is always logged)
 * @param samplesPerLog   samples written each time
 * @param keepCheckpoints newest checkpoints kept
 */
public record RunSettings(int steps, int checkpointEvery, int sampleEvery, int samplesPerLog, int keepCheckpoints) {
    public RunSettings {
        Checks.positive("steps", steps);
        Checks.nonNegative("checkpointEvery", checkpointEvery);
        Checks.positive("sampleEvery", sampleEvery);
        Checks.nonNegative("samplesPerLog", samplesPerLog);
        Checks.positive("keepCheckpoints", keepCheckpoints);
    }
}
