package dev.tandem.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tandem.model.TensorEngine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The linear reward model during training: the weight vector is an engine array, and a minibatch's rewards are one
 * gather-multiply-sum over padded [rows, nnz] index and value arrays, so autograd, {@link TensorLosses} and AdamW
 * work exactly as for the transformer. Feature vectors are computed once per distinct row and cached.
 */
public final class TrainableLinear implements Trainable {
    private static final int CACHE_LIMIT = 500_000;
    private final Featurizer featurizer;
    private final NDManager manager;
    private final NDArray weight;
    private final Map<String, Featurizer.SparseVector> cache = new HashMap<>();

    /** Starts from zero weights with the given (fitted) features. */
    public TrainableLinear(Featurizer featurizer) {
        TensorEngine.start();
        this.featurizer = featurizer;
        this.manager = NDManager.newBaseManager();
        this.weight = manager.zeros(new Shape(featurizer.config().dim()));
        weight.setRequiresGradient(true);
    }

    /** Continues from a saved linear model (same features). */
    public static TrainableLinear from(LinearRewardModel model) {
        TrainableLinear t = new TrainableLinear(model.featurizer());
        t.weight.set(model.weights());
        return t;
    }

    @Override public String kind() { return LinearRewardModel.KIND; }

    @Override public List<NDArray> parameters() { return List.of(weight); }

    @Override public NDManager manager() { return manager; }

    public Featurizer featurizer() { return featurizer; }

    private Featurizer.SparseVector vector(String prompt, String response) {
        String key = prompt + '\u0000' + response;
        Featurizer.SparseVector v = cache.get(key);
        if (v == null) {
            v = featurizer.vector(prompt, response);
            if (cache.size() > CACHE_LIMIT) cache.clear();
            cache.put(key, v);
        }
        return v;
    }

    /**
     * Rewards as one gather over the concatenated (CSR) feature vectors of all rows: products {@code w[idx]·val},
     * a running sum, and each row's reward as the difference of the running sum at its ends.
     */
    @Override
    public NDArray rewards(NDManager m, List<String> prompts, List<String> responses) {
        int rows = prompts.size(), nnz = 0;
        Featurizer.SparseVector[] v = new Featurizer.SparseVector[rows];
        for (int i = 0; i < rows; i++) {
            v[i] = vector(prompts.get(i), responses.get(i));
            nnz += v[i].size();
        }
        long[] idx = new long[nnz + 1];      // entry 0 is a zero-valued sentinel, so every row's start is >= 0
        float[] val = new float[nnz + 1];
        long[] first = new long[rows], last = new long[rows];
        int k = 1;
        for (int i = 0; i < rows; i++) {
            first[i] = k - 1;
            for (int j = 0; j < v[i].size(); j++) {
                idx[k] = v[i].indices()[j];
                val[k++] = v[i].values()[j];
            }
            last[i] = k - 1;
        }
        NDArray products = weight.gather(m.create(idx), 0).mul(m.create(val));         // [nnz + 1]
        NDArray running = products.cumSum(0);
        return running.take(m.create(last)).sub(running.take(m.create(first)));         // [rows]
    }

    @Override
    public LinearRewardModel current() {
        return new LinearRewardModel(featurizer, weight.toFloatArray());
    }

    @Override
    public void save(Path dir, long step, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new java.util.LinkedHashMap<>(metadata);
        meta.put("step", Long.toString(step));
        current().save(dir, meta);
    }

    @Override
    public void load(Path dir) throws IOException {
        LinearRewardModel m = LinearRewardModel.load(dir);
        if (!m.featurizer().config().equals(featurizer.config())) {
            throw new IOException(dir + ": features " + m.featurizer().config() + " differ from " + featurizer.config());
        }
        weight.set(m.weights());
    }

    @Override
    public void close() {
        manager.close();
    }
}
