package dev.tandem.reward;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.model.Checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads any saved reward model by looking at its {@code config.json}: a Tandem checkpoint with {@code kind=reward}
 * is a {@link TransformerRewardModel}; {@code "format": "tandem-reward"} is a {@link LinearRewardModel} or a
 * {@link RewardEnsemble}. A training run directory (holding {@code model/}) loads its model.
 */
public final class RewardModels {
    /** The {@code format} of config.json for reward models that are not transformer checkpoints. */
    public static final String FORMAT = "tandem-reward";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RewardModels() {}

    public static RewardModel load(Path dir) throws IOException {
        return load(dir, null);
    }

    /** Loads the reward model in {@code dir}; {@code tokenizer} (may be null) must match a transformer's own. */
    public static RewardModel load(Path dir, Path tokenizer) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "no such reward model directory");
        if (Files.isRegularFile(dir.resolve("model").resolve("config.json"))) return load(dir.resolve("model"), tokenizer);
        JsonNode root = readConfig(dir);
        String format = root.path("format").asText();
        if (format.equals("tandem-checkpoint")) return TransformerRewardModel.load(dir, tokenizer);
        if (!format.equals(FORMAT)) {
            throw new IOException(dir.resolve("config.json") + ": not a reward model (format '" + format + "')");
        }
        String kind = root.path("kind").asText();
        return switch (kind) {
            case LinearRewardModel.KIND -> LinearRewardModel.load(dir);
            case RewardEnsemble.KIND -> RewardEnsemble.load(dir, root, tokenizer);
            default -> throw new IOException(dir.resolve("config.json") + ": unknown reward model kind '" + kind + "'");
        };
    }

    /** Saves a linear, transformer or ensemble reward model to {@code dir} (atomically). */
    public static void save(RewardModel model, Path dir, Map<String, String> metadata) throws IOException {
        if (model instanceof LinearRewardModel l) l.save(dir, metadata);
        else if (model instanceof TransformerRewardModel t) t.save(dir, 0, metadata);
        else if (model instanceof RewardEnsemble e) e.save(dir, metadata);
        else throw new IllegalArgumentException("cannot save a " + model.name() + " reward");
    }

    static JsonNode readConfig(Path dir) throws IOException {
        Path cfg = dir.resolve(Checkpoint.CONFIG);
        if (!Files.isRegularFile(cfg)) throw new NoSuchFileException(cfg.toString(), null, "not a reward model: no config.json");
        try {
            JsonNode root = JSON.readTree(cfg.toFile());
            if (root == null || !root.isObject()) throw new IOException(cfg + ": not a JSON object");
            return root;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(cfg + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
