package dev.tandem.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tandem.model.Checkpoint;
import dev.tandem.model.Llama;
import dev.tandem.model.LlamaConfig;
import dev.tandem.model.Models;
import dev.tandem.model.SequenceBatch;
import dev.tandem.model.TensorEngine;
import dev.tandem.model.tokenizer.Tokenizer;
import dev.tandem.model.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The transformer reward model: the Llama trunk with a scalar head read at each row's last real token
 * ({@link Llama#scalarAtLast}). Initialised from a language model as InstructGPT does ({@code copy(true)} adds a
 * zero head), or at random. Rows are prompt (BOS first; left-truncated to its last tokens) + response (EOS appended;
 * cut after {@code maxResponseTokens}), packed by {@link SequenceBatch}: a whole minibatch, chosen and rejected
 * alike, is one forward pass.
 *
 * <p>Saved as a Tandem checkpoint ({@link Checkpoint}) with metadata {@code kind=reward}.
 */
public final class TransformerRewardModel implements RewardModel {
    public static final String KIND = "transformer";
    private static final int PAD = 0;
    private static final int SCORE_BATCH = 32;
    private static final int CACHE_LIMIT = 200_000;
    /** Text beyond this many characters per kept token is not encoded (tokens average 2-4 characters). */
    private static final int CHARS_PER_TOKEN_BOUND = 12;

    private final Llama model;
    private final Tokenizer tokenizer;
    private final Path tokenizerFile;
    private final int maxPromptTokens;
    private final int maxResponseTokens;
    private final Map<String, int[]> promptCache = new HashMap<>();
    private final Map<String, int[]> responseCache = new HashMap<>();

    /** Takes ownership of {@code model} (which must have a scalar head) and {@code tokenizer}. */
    public TransformerRewardModel(Llama model, Tokenizer tokenizer, Path tokenizerFile, int maxPromptTokens,
            int maxResponseTokens) {
        if (!model.hasScalarHead()) throw new IllegalArgumentException("a reward model needs a scalar head");
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " ids, the model "
                    + model.config().vocabSize());
        }
        if (maxPromptTokens < 1 || maxResponseTokens < 1
                || maxPromptTokens + maxResponseTokens > model.config().seqLen()) {
            throw new IllegalArgumentException("max prompt (" + maxPromptTokens + ") + response (" + maxResponseTokens
                    + ") tokens must be positive and fit the model's " + model.config().seqLen() + " positions");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.tokenizerFile = tokenizerFile;
        this.maxPromptTokens = maxPromptTokens;
        this.maxResponseTokens = maxResponseTokens;
    }

    /**
     * A reward model initialised from a language model: the trunk is copied and a zero scalar head added
     * ({@code Llama.copy(true)}); the backbone stays open and owned by the caller. The tokenizer is reopened from
     * its file so the reward model owns its own.
     */
    public static TransformerRewardModel fromBackbone(Models.Loaded backbone, int maxPromptTokens, int maxResponseTokens)
            throws IOException {
        Llama copy = backbone.model().copy(true);
        try {
            Tokenizer tok = Tokenizers.load(backbone.tokenizerFile(), copy.config().vocabSize());
            return new TransformerRewardModel(copy, tok, backbone.tokenizerFile(), maxPromptTokens, maxResponseTokens);
        } catch (IOException | RuntimeException e) {
            copy.close();
            throw e;
        }
    }

    /** A randomly initialised reward model (llama2.c's initialisation) with the given tokenizer file. */
    public static TransformerRewardModel random(LlamaConfig config, Path tokenizerFile, long seed, int maxPromptTokens,
            int maxResponseTokens) throws IOException {
        TensorEngine.start();
        Llama m = Llama.random(config, seed, true);
        try {
            Tokenizer tok = Tokenizers.load(tokenizerFile, config.vocabSize());
            return new TransformerRewardModel(m, tok, tokenizerFile, maxPromptTokens, maxResponseTokens);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Loads a reward checkpoint (its own tokenizer, or {@code tokenizer} if given and identical to it). */
    public static TransformerRewardModel load(Path dir, Path tokenizer) throws IOException {
        TensorEngine.start();
        Checkpoint.Info info = Checkpoint.info(dir);
        if (!"reward".equals(info.metadata().get("kind")) || !info.scalarHead()) {
            throw new IOException(dir + " is a Tandem checkpoint but not a reward model (metadata kind="
                    + info.metadata().get("kind") + ", scalar head: " + info.scalarHead() + ")");
        }
        Path tok = checkTokenizer(dir, tokenizer);
        if (tok == null) throw new IOException(dir + ": the checkpoint carries no tokenizer; pass --tokenizer FILE");
        int maxPrompt = intMeta(dir, info, "max_prompt_tokens"), maxResponse = intMeta(dir, info, "max_response_tokens");
        Llama m = Checkpoint.load(dir);
        try {
            Tokenizer t = Tokenizers.load(tok, m.config().vocabSize());
            return new TransformerRewardModel(m, t, tok, maxPrompt, maxResponse);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw new IOException("tokenizer " + tok + " does not fit " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tokenizer to use with a checkpoint: its own, or an explicit one that must be byte-identical to it (a
     * different tokenizer would silently map text to other ids than the model was trained on).
     */
    public static Path checkTokenizer(Path checkpointDir, Path explicit) throws IOException {
        Checkpoint.Info info = Checkpoint.info(checkpointDir);
        Path own = info.tokenizerFile();
        if (explicit == null) return own;
        if (!Files.isRegularFile(explicit) && !Files.isDirectory(explicit)) {
            throw new IOException("tokenizer " + explicit + " does not exist");
        }
        if (own != null && Files.isRegularFile(own) && Files.isRegularFile(explicit)
                && Files.mismatch(own, explicit) != -1) {
            throw new IOException("tokenizer " + explicit + " does not match the one " + checkpointDir
                    + " was trained with (" + own.getFileName() + "); omit --tokenizer to use the checkpoint's own");
        }
        return explicit;
    }

    private static int intMeta(Path dir, Checkpoint.Info info, String key) throws IOException {
        String v = info.metadata().get(key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException | NullPointerException e) {
            throw new IOException(dir.resolve(Checkpoint.CONFIG) + ": metadata." + key + " is missing or not an integer");
        }
    }

    public Llama model() { return model; }

    public Tokenizer tokenizer() { return tokenizer; }

    public int maxPromptTokens() { return maxPromptTokens; }

    public int maxResponseTokens() { return maxResponseTokens; }

    /** Saves as a Tandem checkpoint with {@code kind=reward} metadata (atomic). */
    public void save(Path dir, long step, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("kind", "reward");
        meta.put("reward_model", KIND);
        meta.put("max_prompt_tokens", Integer.toString(maxPromptTokens));
        meta.put("max_response_tokens", Integer.toString(maxResponseTokens));
        Checkpoint.save(model, dir, tokenizerFile, tokenizer.kind(), step, meta);
    }

    /** Prompt tokens: BOS + text, keeping the last {@code maxPromptTokens} (BOS stays first). */
    int[] promptTokens(String prompt) {
        int[] t = promptCache.get(prompt);
        if (t != null) return t;
        // Encode only the tail that can matter (BPE cost grows with the text); fall back to the whole text if the
        // tail gives too few tokens. The cut word at the start of the tail falls outside the kept tokens.
        int keepChars = CHARS_PER_TOKEN_BOUND * maxPromptTokens;
        if (prompt.length() > keepChars) {
            int[] tail = tokenizer.encode(prompt.substring(prompt.length() - keepChars), true, false);
            t = tail.length > maxPromptTokens + 8 ? tail : tokenizer.encode(prompt, true, false);
        } else {
            t = tokenizer.encode(prompt, true, false);
        }
        if (t.length > maxPromptTokens) {
            int[] cut = new int[maxPromptTokens];
            cut[0] = t[0];
            System.arraycopy(t, t.length - (maxPromptTokens - 1), cut, 1, maxPromptTokens - 1);
            t = cut;
        }
        if (promptCache.size() > CACHE_LIMIT) promptCache.clear();
        promptCache.put(prompt, t);
        return t;
    }

    /** Response tokens: text + EOS, the first {@code maxResponseTokens}. */
    int[] responseTokens(String response) {
        int[] t = responseCache.get(response);
        if (t != null) return t;
        int keepChars = CHARS_PER_TOKEN_BOUND * maxResponseTokens;
        if (response.length() > keepChars) {
            int[] head = tokenizer.encode(response.substring(0, keepChars), false, false);
            t = head.length > maxResponseTokens + 8 ? head : tokenizer.encode(response, false, true);
        } else {
            t = tokenizer.encode(response, false, true);
        }
        if (t.length > maxResponseTokens) t = Arrays.copyOf(t, maxResponseTokens);
        if (responseCache.size() > CACHE_LIMIT) responseCache.clear();
        responseCache.put(response, t);
        return t;
    }

    /**
     * Rewards [B] of a batch of rows as ONE forward pass, in {@code m} (differentiable when called inside a
     * gradient collector with trainable parameters).
     */
    public NDArray rewards(NDManager m, List<String> prompts, List<String> responses) {
        return rewards(model, m, prompts, responses);
    }

    /** Rewards [B] computed by {@code trunk}: this model or a replica of it (data-parallel training). */
    public NDArray rewards(Llama trunk, NDManager m, List<String> prompts, List<String> responses) {
        int n = prompts.size();
        int[][] p = new int[n][], r = new int[n][];
        for (int i = 0; i < n; i++) {
            p[i] = promptTokens(prompts.get(i));
            r[i] = responseTokens(responses.get(i));
        }
        return rewards(trunk, m, p, r);
    }

    /** Rewards [B] of already tokenized rows. */
    public NDArray rewards(NDManager m, int[][] prompts, int[][] responses) {
        return rewards(model, m, prompts, responses);
    }

    /** Rewards [B] of already tokenized rows, computed by {@code trunk} (this model or a replica of it). */
    public static NDArray rewards(Llama trunk, NDManager m, int[][] prompts, int[][] responses) {
        SequenceBatch batch = SequenceBatch.ofSharedPrompts(m, prompts, responses, PAD); // pairs share a prompt
        return trunk.scalar(trunk.forwardAt(batch, batch.lastIndex()));           // the last block at the last token
    }

    @Override
    public float[] score(List<String> prompts, List<String> responses) {
        if (prompts.size() != responses.size()) throw new IllegalArgumentException("one prompt per response");
        float[] out = new float[prompts.size()];
        for (int s = 0; s < out.length; s += SCORE_BATCH) {
            int e = Math.min(out.length, s + SCORE_BATCH);
            try (NDManager m = model.manager().newSubManager()) {
                float[] r = rewards(m, prompts.subList(s, e), responses.subList(s, e)).toFloatArray();
                System.arraycopy(r, 0, out, s, r.length);
            }
        }
        return out;
    }

    @Override
    public String name() { return KIND; }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
    }
}
