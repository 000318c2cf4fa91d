package dev.tandem.reward;

import java.util.List;

/**
 * A scalar reward for a response to a prompt: a learned model (transformer or sparse linear, trained on human
 * comparisons) or a programmatic function of the text. Policy optimisation only sees this interface.
 */
public interface RewardModel extends AutoCloseable {

    /** Rewards for a batch: {@code result[i]} scores {@code responses.get(i)} as a reply to {@code prompts.get(i)}. */
    float[] score(List<String> prompts, List<String> responses);

    /** A short name for logs and reports, e.g. {@code linear}, {@code transformer}, {@code builtin:sentiment}. */
    String name();

    /** Whether this reward is a program rather than learned from people (reports say so). */
    default boolean programmatic() {
        return false;
    }

    @Override
    default void close() {}
}
