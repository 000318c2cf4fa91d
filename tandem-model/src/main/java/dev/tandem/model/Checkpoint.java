package dev.tandem.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Tandem's checkpoint: a directory holding {@code config.json} (architecture, heads, tokenizer, training step,
 * free-form metadata), {@code model.safetensors} (float32 weights) and, when known, the tokenizer file.
 *
 * <p>Writes are atomic: everything goes to a temporary sibling directory, is fsynced, and is then renamed into
 * place, so a reader never sees a half-written checkpoint. Replacing an existing checkpoint moves the old one
 * aside first and deletes it after the new one is in place.
 */
public final class Checkpoint {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    private static final String FORMAT = "tandem-checkpoint";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoint() {}

    /** What {@code config.json} says. {@code tokenizerFile} is null when the checkpoint carries no tokenizer. */
    public record Info(LlamaConfig config, boolean scalarHead, String tokenizerKind, Path tokenizerFile, long step,
            Map<String, String> metadata) {}

    /**
     * Saves a model atomically.
     *
     * @param tokenizer the tokenizer file to carry along (copied into the checkpoint), or null
     * @param tokenizerKind "llama2c" or "huggingface" (ignored without a tokenizer)
     */
    public static void save(Llama model, Path dir, Path tokenizer, String tokenizerKind, long step,
            Map<String, String> metadata) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createDirectory(tmp);
        try {
            Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
            for (var e : model.parameters().entrySet()) {
                tensors.put(e.getKey(), new SafeTensors.Tensor(e.getValue().getShape().getShape(),
                        e.getValue().toFloatArray()));
            }
            SafeTensors.write(tmp.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            String tokenizerName = null;
            if (tokenizer != null) {
                tokenizerName = tokenizerKind.equals("huggingface") ? "tokenizer.json" : "tokenizer.bin";
                Files.copy(tokenizer, tmp.resolve(tokenizerName));
            }
            ObjectNode root = JSON.createObjectNode();
            root.put("format", FORMAT).put("version", 1).put("architecture", "llama");
            LlamaConfig c = model.config();
            ObjectNode m = root.putObject("model");
            m.put("dim", c.dim()).put("hidden_dim", c.hiddenDim()).put("n_layers", c.nLayers())
                    .put("n_heads", c.nHeads()).put("n_kv_heads", c.nKvHeads()).put("vocab_size", c.vocabSize())
                    .put("seq_len", c.seqLen()).put("shared_classifier", c.sharedClassifier())
                    .put("norm_eps", c.normEps()).put("rope_theta", c.ropeTheta());
            var heads = root.putArray("heads").add("lm");
            if (model.hasScalarHead()) heads.add("scalar");
            if (tokenizerName != null) root.putObject("tokenizer").put("kind", tokenizerKind).put("file", tokenizerName);
            root.put("step", step);
            ObjectNode meta = root.putObject("metadata");
            metadata.forEach(meta::put);
            JSON.writeValue(tmp.resolve(CONFIG).toFile(), root);
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path f : (Iterable<Path>) files::iterator) fsync(f, false);
            }
            fsync(tmp, true);

            Path old = null;
            if (Files.exists(target)) {
                old = parent.resolve("." + target.getFileName() + ".old-" + UUID.randomUUID());
                move(target, old);
            }
            move(tmp, target);
            fsync(parent, true);
            if (old != null) deleteTree(old);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** Reads {@code config.json} only. */
    public static Info info(Path dir) throws IOException {
        Path cfg = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfg)) {
            throw new NoSuchFileException(cfg.toString(), null, "not a Tandem checkpoint: no " + CONFIG);
        }
        JsonNode root;
        try {
            root = JSON.readTree(cfg.toFile());
        } catch (IOException e) {
            throw new IOException(cfg + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new IOException(cfg + ": not a Tandem checkpoint (format is '" + root.path("format").asText() + "')");
        }
        JsonNode m = root.path("model");
        LlamaConfig c;
        try {
            c = new LlamaConfig(req(cfg, m, "dim"), req(cfg, m, "hidden_dim"), req(cfg, m, "n_layers"),
                    req(cfg, m, "n_heads"), req(cfg, m, "n_kv_heads"), req(cfg, m, "vocab_size"),
                    req(cfg, m, "seq_len"), m.path("shared_classifier").asBoolean(true),
                    (float) m.path("norm_eps").asDouble(1e-5), (float) m.path("rope_theta").asDouble(10000));
        } catch (IllegalArgumentException e) {
            throw new IOException(cfg + ": invalid model config: " + e.getMessage(), e);
        }
        boolean scalar = false;
        for (JsonNode h : root.path("heads")) scalar |= h.asText().equals("scalar");
        JsonNode tok = root.path("tokenizer");
        String kind = tok.isObject() ? tok.path("kind").asText() : null;
        Path tokFile = tok.isObject() ? dir.resolve(tok.path("file").asText()) : null;
        Map<String, String> meta = new LinkedHashMap<>();
        root.path("metadata").properties().forEach(e -> meta.put(e.getKey(), e.getValue().asText()));
        return new Info(c, scalar, kind, tokFile, root.path("step").asLong(0), meta);
    }

    /** Loads a checkpoint, checking every tensor's name, shape and dtype against the config. */
    public static Llama load(Path dir) throws IOException {
        Info info = info(dir);
        SafeTensors.Contents contents = SafeTensors.read(dir.resolve(WEIGHTS));
        Map<String, Shape> expected = Llama.parameterShapes(info.config(), info.scalarHead());
        List<String> missing = expected.keySet().stream().filter(k -> !contents.tensors().containsKey(k)).toList();
        List<String> extra = contents.tensors().keySet().stream().filter(k -> !expected.containsKey(k)).toList();
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new IOException(dir.resolve(WEIGHTS) + ": tensors do not match config.json"
                    + (missing.isEmpty() ? "" : "; missing " + missing) + (extra.isEmpty() ? "" : "; unexpected " + extra));
        }
        NDManager m = NDManager.newBaseManager();
        try {
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (var e : expected.entrySet()) {
                SafeTensors.Tensor t = contents.tensors().get(e.getKey());
                if (!new Shape(t.shape()).equals(e.getValue())) {
                    throw new IOException(dir.resolve(WEIGHTS) + ": tensor " + e.getKey() + " has shape "
                            + new Shape(t.shape()) + ", config.json implies " + e.getValue());
                }
                params.put(e.getKey(), m.create(t.values(), e.getValue()));
            }
            return new Llama(info.config(), m, params);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static int req(Path cfg, JsonNode m, String field) throws IOException {
        if (!m.path(field).canConvertToInt()) throw new IOException(cfg + ": model." + field + " is missing or not an integer");
        return m.path(field).asInt();
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically", e);
        }
    }

    static void fsync(Path p, boolean directory) throws IOException {
        try (FileChannel ch = FileChannel.open(p, directory ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!directory) throw e; // some file systems refuse to open directories; files must sync
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
