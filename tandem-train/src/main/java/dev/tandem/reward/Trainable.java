package dev.tandem.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tandem.model.Llama;
import dev.tandem.train.DataParallel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A reward model being trained: its parameters live on the tensor engine and {@link #rewards} is differentiable, so
 * {@link RewardTrainer} runs the same step (rewards, {@link TensorLosses}, backward, clipping, AdamW) for every kind.
 */
public interface Trainable extends AutoCloseable {

    /** {@code linear} or {@code transformer}. */
    String kind();

    /** The trainable parameters (gradients attached). */
    List<NDArray> parameters();

    /** The manager the parameters live in; per-step arrays go into sub-managers of it. */
    NDManager manager();

    /** Rewards [rows] of (prompt, response) rows, computed in {@code m}; differentiable inside a gradient collector. */
    NDArray rewards(NDManager m, List<String> prompts, List<String> responses);

    /**
     * Data-parallel shards for the training step ({@link DataParallel}), or null to train on the calling thread.
     * With them, each shard's rewards come from {@link #rewards(Llama, NDManager, List, List)} on its replica.
     */
    default DataParallel parallel() { return null; }

    /** Rewards as {@link #rewards(NDManager, List, List)}, computed by a replica of the trunk (see {@link #parallel}). */
    default NDArray rewards(Llama replica, NDManager m, List<String> prompts, List<String> responses) {
        throw new UnsupportedOperationException(kind() + " reward models train on the calling thread");
    }

    /** A scorer reflecting the current parameters (for validation and the final evaluation). */
    RewardModel current();

    /** Saves the current model to {@code dir} in its own format (atomic). */
    void save(Path dir, long step, Map<String, String> metadata) throws IOException;

    /** Replaces the parameters with those of a model saved by {@link #save} (for {@code --resume}). */
    void load(Path dir) throws IOException;

    @Override
    void close();
}
