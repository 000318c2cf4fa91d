package dev.tandem.rl.rewards;

import dev.tandem.reward.RewardModel;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Programmatic rewards by name: {@code builtin:sentiment} (AFINN sentiment of the response, from
 * {@code DATA_DIR/lexicons/afinn/}) and {@code builtin:length[:WORDS]} (closeness to a target length, default 20).
 */
public final class BuiltinRewards {
    public static final String PREFIX = "builtin:";

    private BuiltinRewards() {}

    public static boolean isBuiltin(String spec) {
        return spec.startsWith(PREFIX);
    }

    /** Resolves a {@code builtin:NAME[:ARG]} reward; {@code dataDir} holds the lexicons. */
    public static RewardModel resolve(String spec, Path dataDir) throws IOException {
        if (!isBuiltin(spec)) throw new IllegalArgumentException("not a builtin reward: '" + spec + "'");
        String[] parts = spec.substring(PREFIX.length()).split(":", 2);
        String arg = parts.length > 1 ? parts[1] : null;
        return switch (parts[0]) {
            case "sentiment" -> {
                float scale = arg == null ? 1f : parseFloat(spec, arg);
                yield new SentimentReward(Afinn.load(dataDir.resolve(Afinn.RELATIVE_PATH)), scale);
            }
            case "length" -> new LengthReward(arg == null ? 20 : (int) parseFloat(spec, arg));
            default -> throw new IllegalArgumentException("unknown builtin reward '" + spec
                    + "': use builtin:sentiment[:SCALE] or builtin:length[:WORDS]");
        };
    }

    private static float parseFloat(String spec, String arg) {
        try {
            return Float.parseFloat(arg);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("builtin reward '" + spec + "': '" + arg + "' is not a number");
        }
    }
}
