package dev.tandem.reward;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.model.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sparse linear reward model: {@code r(prompt, response) = w · φ(prompt, response)} over hashed word and
 * character n-grams and surface features ({@link Featurizer}). Scoring is plain Java; trains in seconds.
 *
 * <p>Saved as a directory: {@code config.json} ({@code {"format": "tandem-reward", "kind": "linear", "features":
 * …, "surface_mean": …, "surface_std": …}}) and {@code weights.safetensors} ({@code weight} [dim], {@code idf}
 * [2^bits] when IDF is on).
 */
public final class LinearRewardModel implements RewardModel {
    public static final String KIND = "linear";
    static final String WEIGHTS = "weights.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Featurizer featurizer;
    private final float[] weights;

    public LinearRewardModel(Featurizer featurizer, float[] weights) {
        if (weights.length != featurizer.config().dim()) {
            throw new IllegalArgumentException("expected " + featurizer.config().dim() + " weights, got " + weights.length);
        }
        this.featurizer = featurizer;
        this.weights = weights.clone();
    }

    public Featurizer featurizer() { return featurizer; }

    /** A copy of the weights. */
    public float[] weights() { return weights.clone(); }

    @Override
    public float[] score(List<String> prompts, List<String> responses) {
        if (prompts.size() != responses.size()) throw new IllegalArgumentException("one prompt per response");
        float[] out = new float[prompts.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) featurizer.vector(prompts.get(i), responses.get(i)).dot(weights);
        return out;
    }

    @Override
    public String name() { return KIND; }

    /** The largest weights by magnitude among the surface features (names and values), for reports. */
    public Map<String, Float> surfaceWeights() {
        Map<String, Float> m = new LinkedHashMap<>();
        int base = featurizer.config().hashedDim();
        for (int i = 0; i < Featurizer.SURFACE; i++) m.put(Featurizer.SURFACE_NAMES[i], weights[base + i]);
        return m;
    }

    /** Saves atomically to {@code dir}. */
    public void save(Path dir, Map<String, String> metadata) throws IOException {
        AtomicDirectory.write(dir, tmp -> {
            Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
            t.put("weight", new SafeTensors.Tensor(new long[] {weights.length}, weights));
            if (featurizer.idf() != null) {
                t.put("idf", new SafeTensors.Tensor(new long[] {featurizer.idf().length}, featurizer.idf()));
            }
            SafeTensors.write(tmp.resolve(WEIGHTS), t, Map.of("format", "pt"));
            ObjectNode root = JSON.createObjectNode();
            root.put("format", RewardModels.FORMAT).put("version", 1).put("kind", KIND);
            FeatureConfig c = featurizer.config();
            root.putObject("features").put("hash_bits", c.hashBits()).put("word_ngrams", c.wordNgrams())
                    .put("char_min", c.charMin()).put("char_max", c.charMax()).put("sublinear_tf", c.sublinearTf())
                    .put("idf", c.idf()).put("surface", c.surface());
            var mean = root.putArray("surface_mean");
            for (float v : featurizer.surfaceMean()) mean.add(v);
            var std = root.putArray("surface_std");
            for (float v : featurizer.surfaceStd()) std.add(v);
            ObjectNode meta = root.putObject("metadata");
            metadata.forEach(meta::put);
            JSON.writeValue(tmp.resolve("config.json").toFile(), root);
        });
    }

    /** Loads a model saved by {@link #save}; every problem names the file. */
    public static LinearRewardModel load(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        JsonNode root = RewardModels.readConfig(dir);
        if (!KIND.equals(root.path("kind").asText())) throw new IOException(cfg + ": not a linear reward model");
        JsonNode f = root.path("features");
        FeatureConfig c;
        try {
            c = new FeatureConfig(f.path("hash_bits").asInt(-1), f.path("word_ngrams").asInt(-1),
                    f.path("char_min").asInt(-1), f.path("char_max").asInt(-1), f.path("sublinear_tf").asBoolean(),
                    f.path("idf").asBoolean(), f.path("surface").asBoolean());
        } catch (IllegalArgumentException e) {
            throw new IOException(cfg + ": invalid features: " + e.getMessage(), e);
        }
        float[] mean = floats(cfg, root, "surface_mean"), std = floats(cfg, root, "surface_std");
        SafeTensors.Contents contents = SafeTensors.read(dir.resolve(WEIGHTS));
        SafeTensors.Tensor w = contents.tensors().get("weight");
        if (w == null || w.values().length != c.dim()) {
            throw new IOException(dir.resolve(WEIGHTS) + ": tensor 'weight' " + (w == null ? "is missing"
                    : "has " + w.values().length + " values") + ", config.json implies " + c.dim());
        }
        SafeTensors.Tensor idf = contents.tensors().get("idf");
        if (c.idf() && (idf == null || idf.values().length != c.hashedDim())) {
            throw new IOException(dir.resolve(WEIGHTS) + ": tensor 'idf' missing or not of size " + c.hashedDim());
        }
        try {
            return new LinearRewardModel(new Featurizer(c, idf == null ? null : idf.values(), mean, std), w.values());
        } catch (IllegalArgumentException e) {
            throw new IOException(cfg + ": " + e.getMessage(), e);
        }
    }

    private static float[] floats(Path cfg, JsonNode root, String field) throws IOException {
        JsonNode a = root.path(field);
        if (!a.isArray() || a.size() != Featurizer.SURFACE) {
            throw new IOException(cfg + ": " + field + " must be an array of " + Featurizer.SURFACE + " numbers");
        }
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }

    static boolean isLinear(Path dir) {
        return Files.isRegularFile(dir.resolve(WEIGHTS));
    }
}
