package dev.tandem.cli;

import dev.tandem.reward.RewardModel;
import dev.tandem.reward.RewardModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code tandem rm score}: one reward per {@code --response}, one per line, in order. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score responses to a prompt with a reward model: prints one reward per --response, in order.")
public final class RmScoreCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A reward model or an rm train run directory.")
    Path model;

    @Option(names = "--prompt", required = true, description = "The prompt.")
    String prompt;

    @Option(names = "--response", required = true, description = "A response (repeatable).")
    List<String> responses;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Transformer: tokenizer (must match the checkpoint's own).")
    Path tokenizer;

    @Override
    public Integer call() {
        return RmCommand.userErrors(() -> {
            try (RewardModel rm = RewardModels.load(model, tokenizer)) {
                float[] r = rm.score(Collections.nCopies(responses.size(), prompt), responses);
                for (float v : r) System.out.printf(Locale.ROOT, "%.6f%n", v);
            }
            return 0;
        });
    }
}
