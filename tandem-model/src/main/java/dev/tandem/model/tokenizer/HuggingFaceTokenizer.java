package dev.tandem.model.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hugging Face {@code tokenizer.json}, run by DJL's binding of the Rust {@code tokenizers}
 * library, loaded from a local file only (never from the Hub).
 *
 * <p>Special tokens are added by this class, not by the tokenizer's post-processor: {@link #encode}
 * encodes without special tokens, then prepends {@link #bos()} / appends {@link #eos()} when asked.
 * BOS and EOS are the tokens named by {@code bos_token}/{@code eos_token} in a
 * {@code tokenizer_config.json} next to the file, else {@code <s>} and {@code </s>}, found among
 * the {@code added_tokens} or the model's vocabulary; -1 if absent. Truncation and padding are off.
 *
 * <p>Decoding skips special tokens. {@link #decodePieceBytes} is the text that {@code token} adds
 * after {@code prevToken}: {@code decode([prev, token])} minus {@code decode([prev])} (or
 * {@code decode([token])} if the former does not start with the latter). After BOS that is the
 * piece as it decodes at the start of a text, e.g. without the leading space of a
 * sentencepiece-style {@code ▁word} piece. Unlike llama2.c pieces, these are built from Java strings,
 * so a token carrying part of a UTF-8 character gives U+FFFD; {@link #decode} of whole sequences is
 * exact.
 *
 * <p>Holds a native handle: close it (try-with-resources). Closing twice is harmless; using a
 * closed tokenizer throws {@link IllegalStateException}.
 *
 * <p>DJL's telemetry ({@code Ec2Utils.callHome}, which probes the EC2 metadata address unless the
 * system property {@code offline} is true or {@code OPT_OUT_TRACKING} is set) is switched off
 * before loading by setting the system property {@code OPT_OUT_TRACKING=true} if neither is set.
 * The native library is extracted from the DJL jar into DJL's cache directory
 * ({@code ~/.djl.ai/tokenizers}, or {@code $DJL_CACHE_DIR}); nothing is downloaded.
 */
public final class HuggingFaceTokenizer implements Tokenizer {

    private static final Logger log = LoggerFactory.getLogger(HuggingFaceTokenizer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path source;
    private final ai.djl.huggingface.tokenizers.HuggingFaceTokenizer delegate;
    private final int vocabSize;
    private final int bos;
    private final int eos;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Loads {@code tokenizer.json} (a file, or a directory holding one).
     *
     * @throws IOException naming the file if it is missing, not JSON, not a tokenizer, or rejected
     *     by the tokenizers library
     */
    public HuggingFaceTokenizer(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        this.source = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(source)) {
            throw new IOException(source + ": no such tokenizer.json file");
        }
        String json = Files.readString(source, StandardCharsets.UTF_8);
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new IOException(source + ": not valid JSON" + where + ": " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject() || !root.path("model").isObject()) {
            throw new IOException(source + ": not a Hugging Face tokenizer.json (no \"model\" object)");
        }
        Map<String, Integer> ids = tokenIds(root);
        this.vocabSize = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        if (vocabSize == 0) {
            throw new IOException(source + ": tokenizer.json has an empty vocabulary");
        }
        JsonNode config = readConfig(source.resolveSibling("tokenizer_config.json"));
        this.bos = ids.getOrDefault(specialToken(config, "bos_token", "<s>"), -1);
        this.eos = ids.getOrDefault(specialToken(config, "eos_token", "</s>"), -1);
        disableTelemetry();
        try {
            this.delegate = ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(source, Map.of(
                    "addSpecialTokens", "false",
                    "truncation", "false",
                    "padding", "false"));
        } catch (RuntimeException e) {
            throw new IOException(source + ": the tokenizers library rejected it: " + e.getMessage(), e);
        }
        log.debug("loaded {}: vocab {}, bos {}, eos {}", source, vocabSize, bos, eos);
    }

    /** The tokenizer.json file this was loaded from. */
    public Path source() {
        return source;
    }

    @Override
    public int[] encode(String text, boolean withBos, boolean withEos) {
        Objects.requireNonNull(text, "text");
        Unicode.requireValid(text);
        if (withBos && bos < 0) {
            throw new IllegalStateException(source + " has no BOS token");
        }
        if (withEos && eos < 0) {
            throw new IllegalStateException(source + " has no EOS token");
        }
        long[] encoded = open().encode(text, false, false).getIds();
        int[] out = new int[encoded.length + (withBos ? 1 : 0) + (withEos ? 1 : 0)];
        int n = 0;
        if (withBos) {
            out[n++] = bos;
        }
        for (long id : encoded) {
            out[n++] = Math.toIntExact(id);
        }
        if (withEos) {
            out[n++] = eos;
        }
        return out;
    }

    /** {@code decode(ids)} with special tokens skipped. */
    @Override
    public String decode(int[] ids) {
        return open().decode(toLongs(ids), true);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        return decode(ids).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] decodePieceBytes(int prevToken, int token) {
        checkId(token);
        String alone = open().decode(new long[] {token}, true);
        if (prevToken < 0 || prevToken >= vocabSize) {
            return alone.getBytes(StandardCharsets.UTF_8);
        }
        String before = open().decode(new long[] {prevToken}, true);
        String both = open().decode(new long[] {prevToken, token}, true);
        String piece = both.startsWith(before) ? both.substring(before.length()) : alone;
        return piece.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int bos() {
        return bos;
    }

    @Override
    public int eos() {
        return eos;
    }

    @Override
    public String kind() {
        return "huggingface";
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            delegate.close();
        }
    }

    @Override
    public String toString() {
        return "HuggingFaceTokenizer[" + source + ", vocab " + vocabSize + "]";
    }

    private ai.djl.huggingface.tokenizers.HuggingFaceTokenizer open() {
        if (closed.get()) {
            throw new IllegalStateException("tokenizer " + source + " is closed");
        }
        return delegate;
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " out of range [0, " + vocabSize + ") of " + source);
        }
    }

    private long[] toLongs(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            checkId(ids[i]);
            out[i] = ids[i];
        }
        return out;
    }

    /** Every token string with its id: the model's vocabulary plus the added tokens. */
    private Map<String, Integer> tokenIds(JsonNode root) throws IOException {
        Map<String, Integer> ids = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) { // BPE, WordLevel, WordPiece: {"token": id}
            for (Map.Entry<String, JsonNode> entry : vocab.properties()) {
                if (!entry.getValue().canConvertToInt() || entry.getValue().asInt() < 0) {
                    throw new IOException(source + ": model.vocab[\"" + entry.getKey() + "\"] is "
                            + entry.getValue() + ", expected a token id");
                }
                ids.put(entry.getKey(), entry.getValue().asInt());
            }
        } else if (vocab.isArray()) { // Unigram: [["piece", score], ...], id = index
            for (int i = 0; i < vocab.size(); i++) {
                ids.putIfAbsent(vocab.get(i).path(0).asText(), i);
            }
        } else {
            throw new IOException(source + ": model.vocab is missing or neither an object nor an array");
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (!added.path("id").canConvertToInt() || !added.path("content").isTextual()) {
                throw new IOException(source + ": added_tokens entry " + added + " lacks an integer id or a content");
            }
            ids.put(added.get("content").asText(), added.get("id").asInt());
        }
        return ids;
    }

    private JsonNode readConfig(Path config) throws IOException {
        if (!Files.isRegularFile(config)) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(config.toFile());
        } catch (JsonProcessingException e) {
            throw new IOException(config + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code "bos_token": "<s>"} or {@code "bos_token": {"content": "<s>", ...}}. */
    private static String specialToken(JsonNode config, String field, String fallback) {
        JsonNode node = config.path(field);
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.path("content").isTextual()) {
            return node.path("content").asText();
        }
        return fallback;
    }

    private static void disableTelemetry() {
        if (!Boolean.getBoolean("offline") && System.getenv("OPT_OUT_TRACKING") == null
                && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }
}
