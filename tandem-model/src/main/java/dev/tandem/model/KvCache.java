package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Preallocated keys and values for incremental decoding: per layer [B, nKV, Tc, hs]. Writes are in place, so a
 * decoding step costs no copy of the cache. Unwritten columns are zero and must be hidden by the attention bias.
 */
public final class KvCache {
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int length;

    /** Allocates the cache in {@code manager}; it is freed with that manager. */
    public KvCache(NDManager manager, LlamaConfig config, int batch, int length) {
        if (batch <= 0 || length <= 0) throw new IllegalArgumentException("batch and length must be positive");
        this.length = length;
        Shape shape = new Shape(batch, config.nKvHeads(), length, config.headSize());
        keys = new NDArray[config.nLayers()];
        values = new NDArray[config.nLayers()];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = manager.zeros(shape);
            values[l] = manager.zeros(shape);
        }
    }

    public int length() { return length; }

    /** Writes k, v [B, nKV, T, hs] at columns [offset, offset + T) of layer l. */
    void write(int layer, int offset, NDArray k, NDArray v) {
        long t = k.getShape().get(2);
        if (offset < 0 || offset + t > length) {
            throw new IllegalArgumentException("cache write [" + offset + ", " + (offset + t) + ") outside length "
                    + length);
        }
        NDIndex at = new NDIndex(":, :, {}:{}", offset, offset + t);
        keys[layer].set(at, k);
        values[layer].set(at, v);
    }

    NDArray keys(int layer) { return keys[layer]; }

    NDArray values(int layer) { return values[layer]; }
}
