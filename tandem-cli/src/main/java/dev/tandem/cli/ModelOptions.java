package dev.tandem.cli;

import dev.tandem.model.Models;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The {@code --model} and {@code --tokenizer} options shared by commands that load a model. */
public final class ModelOptions {
    @Option(names = "--model", defaultValue = "stories260K", paramLabel = "NAME|PATH",
            description = "A known model name (stories260K, found in $TANDEM_DATA_DIR/models/), a Tandem checkpoint "
                    + "directory, or a llama2.c .bin file. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer file (llama2.c tok*.bin or Hugging Face tokenizer.json); default: the model's own.")
    Path tokenizer;

    Models.Loaded load() {
        try {
            return Models.load(model, tokenizer);
        } catch (IOException e) {
            throw new UserException(e.getMessage(), e);
        }
    }
}
