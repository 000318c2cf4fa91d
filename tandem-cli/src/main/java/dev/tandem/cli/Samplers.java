package dev.tandem.cli;

import dev.tandem.model.JavaSampler;
import dev.tandem.model.Models;
import dev.tandem.model.Sampler;
import dev.tandem.model.TorchSampler;

/** The {@code --sampler auto|java|torch} choice. */
final class Samplers {
    private Samplers() {}

    static Sampler choose(String name, Models.Loaded loaded) {
        int[] stop = Sampler.stopTokens(loaded.tokenizer());
        return switch (name) {
            case "auto" -> Sampler.forModel(loaded.model(), stop);
            case "java" -> {
                if (!JavaSampler.suits(loaded.model().config())) {
                    throw new UserException("the java sampler needs the JVM option --add-modules jdk.incubator.vector "
                            + "(./tandem sets it) and a model with dim <= 1024");
                }
                yield new JavaSampler(loaded.model(), stop, 0);
            }
            case "torch" -> new TorchSampler(loaded.model(), stop, 0);
            default -> throw new UserException("--sampler must be auto, java or torch, got '" + name + "'");
        };
    }
}
