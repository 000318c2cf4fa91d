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
 * @param judgements judgements in the dataset (gold included) by everyone except AI judges: people, simulated
 *     annotators and imports
 * @param aiJudgements judgements by AI judges ({@link dev.tandem.feedback.AnnotatorKind#AI_JUDGE}), counted apart:
 *     they take no overlap slot and do not make a task done
 */
public record DatasetSummary(Dataset dataset, int prompts, int open, int inProgress, int done, int gold, int judgements,
                             int aiJudgements) {
    public int tasks() { return open + inProgress + done; }
}
