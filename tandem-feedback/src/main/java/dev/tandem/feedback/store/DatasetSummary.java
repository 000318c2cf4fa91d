package dev.tandem.feedback.store;

import dev.tandem.feedback.Dataset;

/**
 * Counts for the admin page. Task counts are non-gold tasks by {@link dev.tandem.feedback.TaskStatus}.
 *
 * @param dataset the dataset
 * @param prompts number of prompts
 * @param open non-gold tasks nobody holds or has judged
 * @param inProgress non-gold tasks leased or with fewer judgements than the overlap
 * @param done non-gold tasks with at least overlap judgements
 * @param gold gold (honeypot) tasks
 * @param judgements all judgements in the dataset (gold included)
 */
public record DatasetSummary(Dataset dataset, int prompts, int open, int inProgress, int done, int gold, int judgements) {
    public int tasks() { return open + inProgress + done; }
}
