package dev.tandem.model.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Opens the right {@link Tokenizer} for a file. */
public final class Tokenizers {

    private Tokenizers() {
    }

    /**
     * Opens {@code path} by its name: {@code *.bin} is a llama2.c tokenizer (its vocab size taken
     * from the file), {@code *.json} or a directory holding {@code tokenizer.json} is a Hugging Face
     * tokenizer.
     *
     * @throws IOException if the file is missing or not a tokenizer of that kind
     * @throws IllegalArgumentException if the name says neither kind
     */
    public static Tokenizer load(Path path) throws IOException {
        return switch (kindOf(path)) {
            case "llama2c" -> Llama2cTokenizer.load(path);
            default -> new HuggingFaceTokenizer(path);
        };
    }

    /**
     * Like {@link #load(Path)}, for a model with {@code modelVocabSize} embeddings: a llama2.c file
     * must hold exactly that many tokens, a Hugging Face tokenizer at most that many ids.
     */
    public static Tokenizer load(Path path, int modelVocabSize) throws IOException {
        if (kindOf(path).equals("llama2c")) {
            return new Llama2cTokenizer(path, modelVocabSize);
        }
        HuggingFaceTokenizer tokenizer = new HuggingFaceTokenizer(path);
        if (tokenizer.vocabSize() > modelVocabSize) {
            tokenizer.close();
            throw new IOException(tokenizer.source() + ": tokenizer has " + tokenizer.vocabSize()
                    + " token ids but the model's vocab size is " + modelVocabSize);
        }
        return tokenizer;
    }

    private static String kindOf(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("tokenizer.json"))) {
                return "huggingface";
            }
            throw new IOException(path + ": directory without a tokenizer.json");
        }
        if (name.endsWith(".bin")) {
            return "llama2c";
        }
        if (name.endsWith(".json")) {
            return "huggingface";
        }
        throw new IllegalArgumentException("don't know which tokenizer " + path
                + " is: expected a llama2.c tokenizer (*.bin) or a Hugging Face tokenizer.json");
    }
}
