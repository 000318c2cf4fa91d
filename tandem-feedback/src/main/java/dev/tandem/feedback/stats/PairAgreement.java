package dev.tandem.feedback.stats;

/**
 * Agreement between two annotators on the tasks both judged.
 *
 * @param annotatorA id of the first annotator (the smaller id)
 * @param annotatorB id of the second
 * @param sharedTasks tasks both judged
 * @param percentAgreement fraction with the same label
 * @param cohenKappa Cohen's kappa, NaN when undefined
 */
public record PairAgreement(long annotatorA, long annotatorB, int sharedTasks, double percentAgreement, double cohenKappa) {}
