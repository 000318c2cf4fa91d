package dev.tandem.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tandem.model.Checkpoint;
import dev.tandem.model.Llama;
import dev.tandem.train.DataParallel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The transformer reward model during training: every parameter of the trunk and head is trained. */
public final class TrainableTransformer implements Trainable {
    private final TransformerRewardModel model;
    private final DataParallel parallel; // null with one shard

    /** Takes ownership of {@code model} and makes all its parameters trainable; shards as {@link DataParallel#defaultShards}. */
    public TrainableTransformer(TransformerRewardModel model) {
        this(model, DataParallel.defaultShards());
    }

    /** Takes ownership of {@code model} and makes all its parameters trainable; steps run in {@code shards} shards. */
    public TrainableTransformer(TransformerRewardModel model, int shards) {
        this.model = model;
        model.model().setTrainable(true);
        try {
            this.parallel = shards > 1 ? new DataParallel(model.model(), shards) : null;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override public String kind() { return TransformerRewardModel.KIND; }

    @Override public List<NDArray> parameters() { return new ArrayList<>(model.model().parameters().values()); }

    @Override public NDManager manager() { return model.model().manager(); }

    @Override
    public NDArray rewards(NDManager m, List<String> prompts, List<String> responses) {
        return model.rewards(m, prompts, responses);
    }

    @Override public DataParallel parallel() { return parallel; }

    @Override
    public NDArray rewards(Llama replica, NDManager m, List<String> prompts, List<String> responses) {
        return model.rewards(replica, m, prompts, responses);
    }

    @Override public TransformerRewardModel current() { return model; }

    @Override
    public void save(Path dir, long step, Map<String, String> metadata) throws IOException {
        model.save(dir, step, metadata);
    }

    @Override
    public void load(Path dir) throws IOException {
        try (Llama saved = Checkpoint.load(dir)) {
            model.model().loadFrom(saved);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (parallel != null) parallel.close();
        model.close();
    }
}
