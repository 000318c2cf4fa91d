package dev.tandem.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.model.Models;
import dev.tandem.reward.RewardModel;
import dev.tandem.rl.BestOfN;
import dev.tandem.rl.Prompts;
import dev.tandem.rl.rewards.Rewards;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code tandem best-of-n}: the no-training baseline — sample n, keep the reward model's favourite. */
@Command(name = "best-of-n", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Sample n responses per prompt and keep the one the reward scores highest (the baseline for",
                "fine-tuning; its KL to the policy is at most log n - (n-1)/n).",
                "stdout: one JSON line per prompt {prompt, best, score, mean_score, candidates, scores};",
                "a summary goes to stderr."})
public final class BestOfNCommand implements Callable<Integer> {
    @Option(names = "--policy", defaultValue = "stories260K", paramLabel = "MODEL", description = "The policy (default: ${DEFAULT-VALUE}).") String policy;
    @Option(names = "--tokenizer", defaultValue = Option.NULL_VALUE, paramLabel = "FILE", description = "Tokenizer file; default: the model's own.") Path tokenizer;
    @Option(names = "--reward", required = true, paramLabel = "RM_DIR|builtin:NAME", description = "The reward.") String reward;
    @Option(names = "--prompts", defaultValue = Option.NULL_VALUE, paramLabel = "FILE", description = "Prompts (.txt lines or .jsonl {\"prompt\"}); default: built-in story openings.") Path prompts;
    @Option(names = "--n", defaultValue = "8", description = "Samples per prompt (default: ${DEFAULT-VALUE}).") int n;
    @Option(names = "--max-new-tokens", defaultValue = "48", description = "Response length limit (default: ${DEFAULT-VALUE}).") int maxNewTokens;
    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default: ${DEFAULT-VALUE}).") float temperature;
    @Option(names = "--seed", defaultValue = "0", description = "Sampler seed (default: ${DEFAULT-VALUE}).") long seed;

    @Override
    public Integer call() {
        try (Models.Loaded loaded = Models.load(policy, tokenizer);
                RewardModel rm = Rewards.resolve(reward)) {
            List<String> texts = prompts == null ? Prompts.STORY_OPENINGS : Prompts.read(prompts);
            List<BestOfN.Choice> out = BestOfN.run(loaded.model(), loaded.tokenizer(), rm, texts,
                    new BestOfN.Config(n, maxNewTokens, temperature, seed));
            ObjectMapper json = new ObjectMapper();
            double best = 0, mean = 0;
            for (BestOfN.Choice c : out) {
                ObjectNode line = json.createObjectNode().put("prompt", c.prompt()).put("best", c.best())
                        .put("score", c.bestScore()).put("mean_score", c.meanScore());
                c.candidates().forEach(line.putArray("candidates")::add);
                var scores = line.putArray("scores");
                for (float s : c.scores()) scores.add(s);
                System.out.println(json.writeValueAsString(line));
                best += c.bestScore();
                mean += c.meanScore();
            }
            System.err.printf(Locale.ROOT, "best-of-%d with %s%s over %d prompts: mean score of one sample %.4f, of the best %.4f;"
                            + " KL bound %.4f nats%n", n, rm.name(), rm.programmatic() ? " (programmatic)" : "", out.size(),
                    mean / out.size(), best / out.size(), BestOfN.klBound(n));
            return 0;
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
    }
}
