package dev.tandem.cli;

import dev.tandem.reward.EvalReports;
import dev.tandem.reward.RewardRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code tandem rm eval}: evaluates a saved reward model; the last stdout line is {@code eval accuracy: 0.xxx}. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a reward model on preference data: accuracy, loss, margin, calibration, length bias.",
                "Writes eval.json and report.html (calibration plot, reward vs length) into --out.",
                "The last line of stdout is `eval accuracy: 0.xxx`."})
public final class RmEvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A reward model or an rm train run directory.")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FORMAT:PATH", description = "Evaluation data (repeatable).")
    List<String> data;

    @Option(names = "--out", paramLabel = "DIR", description = "Where eval.json and report.html go (default: the --model directory).")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Transformer: tokenizer (must match the checkpoint's own).")
    Path tokenizer;

    @Override
    public Integer call() {
        return RmCommand.userErrors(() -> {
            if (!Files.isDirectory(model)) throw new UserException("no reward model at " + model);
            Path dir = out != null ? out : model;
            var r = RewardRun.evaluate(model, tokenizer, data, dir);
            System.out.printf("report: %s%n", dir.resolve("report.html"));
            System.out.print(EvalReports.table(r));
            System.out.printf(Locale.ROOT, "eval accuracy: %.3f%n", r.accuracy());
            return 0;
        });
    }
}
