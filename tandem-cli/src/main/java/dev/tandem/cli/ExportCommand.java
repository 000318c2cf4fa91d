package dev.tandem.cli;

import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.io.ExportKind;
import dev.tandem.feedback.io.ExportOptions;
import dev.tandem.feedback.io.FeedbackExporter;
import dev.tandem.feedback.store.FeedbackStore;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem export}: writes a dataset's labels as training JSONL to stdout. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export labels as JSONL on stdout.",
                "pairs: {prompt, chosen, rejected} (TRL), rankings expanded to pairs; rankings: {prompt, responses, ranks};",
                "ratings: {prompt, response, score, scores, flags}; demonstrations: {prompt, completion}.",
                "Tasks with several judgements use the majority label; gold tasks are never exported."})
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--db", defaultValue = ImportCommand.DEFAULT_DB,
            description = "JDBC URL (jdbc:sqlite:FILE or jdbc:postgresql://...) or a SQLite file (default: ${DEFAULT-VALUE}).")
    String db;

    @Option(names = "--dataset", required = true, description = "Dataset to export.")
    String dataset;

    @Option(names = "--kind", required = true, description = "pairs, rankings, ratings or demonstrations.")
    String kind;

    @Option(names = "--min-agreement", defaultValue = "0", description = "Keep tasks whose majority label has at least this share of judgements, 0..1 (default: ${DEFAULT-VALUE}).")
    double minAgreement;

    @Option(names = "--min-gold-accuracy", description = "Ignore judgements of annotators whose gold accuracy is below this, 0..1.")
    Double minGoldAccuracy;

    @Option(names = "--no-expand-rankings", description = "With --kind pairs, leave ranking tasks out instead of expanding them.")
    boolean noExpand;

    @Option(names = "--include-ai-judges", description = "Also export the labels of AI judges (annotator kind ai-judge), which are left out by default.")
    boolean includeAiJudges;

    @Override
    public Integer call() throws Exception {
        ExportOptions options;
        try {
            options = new ExportOptions(dataset, ExportKind.fromId(kind), minAgreement, minGoldAccuracy, !noExpand,
                    includeAiJudges);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        try (FeedbackStore store = ImportCommand.openStore(db)) {
            Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
            long lines = new FeedbackExporter(store).export(options, out);
            out.flush();
            System.err.println("exported " + lines + " " + options.kind().name().toLowerCase(java.util.Locale.ROOT) + " lines from " + dataset);
            return 0;
        } catch (FeedbackException e) {
            throw new UserException(e.getMessage(), e);
        }
    }
}
