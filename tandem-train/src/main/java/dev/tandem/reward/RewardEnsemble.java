package dev.tandem.reward;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * k reward models trained on bootstrap resamples with different seeds. The reward is the members' mean;
 * {@link #uncertainty} (their standard deviation) and {@link #disagreement} (the spread of their P(a ≻ b)) say where
 * more human labels would help most.
 *
 * <p>Saved as {@code config.json} ({@code {"format": "tandem-reward", "kind": "ensemble", "members": [...]}}) with
 * one subdirectory per member.
 */
public final class RewardEnsemble implements RewardModel {
    public static final String KIND = "ensemble";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final List<RewardModel> members;

    /** Takes ownership of the members (closing the ensemble closes them). */
    public RewardEnsemble(List<? extends RewardModel> members) {
        if (members.size() < 2) throw new IllegalArgumentException("an ensemble needs at least 2 members, got " + members.size());
        this.members = List.copyOf(members);
    }

    public List<RewardModel> members() { return members; }

    /** Each member's rewards: {@code [member][row]}. */
    public float[][] memberScores(List<String> prompts, List<String> responses) {
        float[][] out = new float[members.size()][];
        for (int k = 0; k < members.size(); k++) out[k] = members.get(k).score(prompts, responses);
        return out;
    }

    @Override
    public float[] score(List<String> prompts, List<String> responses) {
        float[][] s = memberScores(prompts, responses);
        float[] mean = new float[prompts.size()];
        for (float[] m : s) for (int i = 0; i < mean.length; i++) mean[i] += m[i] / s.length;
        return mean;
    }

    /** Standard deviation of the members' rewards per row (sample standard deviation, k − 1). */
    public float[] uncertainty(List<String> prompts, List<String> responses) {
        float[][] s = memberScores(prompts, responses);
        float[] out = new float[prompts.size()];
        for (int i = 0; i < out.length; i++) {
            double[] v = new double[s.length];
            for (int k = 0; k < s.length; k++) v[k] = s[k][i];
            out[i] = (float) std(v);
        }
        return out;
    }

    /**
     * How much the members disagree about "a is better than b", per row: the sample standard deviation of their
     * σ(r_a − r_b). 0 when they all agree; up to about 0.5 when they split confidently.
     */
    public float[] disagreement(List<String> prompts, List<String> a, List<String> b) {
        float[][] sa = memberScores(prompts, a), sb = memberScores(prompts, b);
        float[] out = new float[prompts.size()];
        for (int i = 0; i < out.length; i++) {
            double[] p = new double[members.size()];
            for (int k = 0; k < p.length; k++) p[k] = Losses.sigmoid(sa[k][i] - (double) sb[k][i]);
            out[i] = (float) std(p);
        }
        return out;
    }

    static double std(double[] v) {
        double mean = 0;
        for (double x : v) mean += x / v.length;
        double ss = 0;
        for (double x : v) ss += (x - mean) * (x - mean);
        return Math.sqrt(ss / (v.length - 1));
    }

    @Override
    public String name() {
        return KIND + "(" + members.size() + "x" + members.get(0).name() + ")";
    }

    /** Saves the members (linear or transformer) and the manifest atomically. */
    public void save(Path dir, Map<String, String> metadata) throws IOException {
        AtomicDirectory.write(dir, tmp -> {
            ObjectNode root = JSON.createObjectNode();
            root.put("format", RewardModels.FORMAT).put("version", 1).put("kind", KIND);
            var names = root.putArray("members");
            for (int k = 0; k < members.size(); k++) {
                String name = "member-" + k;
                RewardModels.save(members.get(k), tmp.resolve(name), metadata);
                names.add(name);
            }
            ObjectNode meta = root.putObject("metadata");
            metadata.forEach(meta::put);
            JSON.writeValue(tmp.resolve("config.json").toFile(), root);
        });
    }

    static RewardEnsemble load(Path dir, com.fasterxml.jackson.databind.JsonNode root, Path tokenizer) throws IOException {
        List<RewardModel> loaded = new ArrayList<>();
        try {
            for (var n : root.path("members")) {
                Path m = dir.resolve(n.asText()).normalize();
                if (!m.startsWith(dir.normalize()) || !Files.isDirectory(m)) {
                    throw new IOException(dir.resolve("config.json") + ": member '" + n.asText() + "' is not a subdirectory");
                }
                loaded.add(RewardModels.load(m, tokenizer));
            }
            return new RewardEnsemble(loaded);
        } catch (IllegalArgumentException e) {
            for (RewardModel m : loaded) m.close();
            throw new IOException(dir + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            for (RewardModel m : loaded) m.close();
            throw e;
        }
    }

    @Override
    public void close() {
        for (RewardModel m : members) m.close();
    }
}
