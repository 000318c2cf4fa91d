package dev.tandem.cli;

import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.io.FeedbackImporter;
import dev.tandem.feedback.io.ImportSource;
import dev.tandem.feedback.io.ImportSummary;
import dev.tandem.feedback.io.PreferenceFormatException;
import dev.tandem.feedback.StorageException;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tandem import}: reads preference files into a dataset of the feedback store, all in one transaction, and
 * prints what it stored.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import preference data into the feedback store (one transaction: on any error nothing is stored).",
                "FORMAT is hh-rlhf, oasst, ukpconvarg or jsonl; PATH is a file or a directory of such files.",
                "Labels in the files become judgements by the annotator import:FORMAT."})
public final class ImportCommand implements Callable<Integer> {
    /** Default of {@code --db} for import and export: the embedded SQLite file under the working directory. */
    static final String DEFAULT_DB = "tandem-data/feedback.db";

    /** Opens the feedback store named by {@code --db}: a JDBC URL or a SQLite file path (parent directories created). */
    static FeedbackStore openStore(String db) {
        String url = db.startsWith("jdbc:") ? db : "jdbc:sqlite:" + java.nio.file.Path.of(db).toAbsolutePath();
        try {
            return JdbcFeedbackStore.open(StoreConfig.of(url).withMaxPoolSize(2));
        } catch (IllegalArgumentException | StorageException e) {
            throw new UserException("cannot open feedback store " + db + ": " + e.getMessage(), e);
        }
    }

    @Option(names = "--db", defaultValue = DEFAULT_DB,
            description = "JDBC URL (jdbc:sqlite:FILE or jdbc:postgresql://...) or a SQLite file (default: ${DEFAULT-VALUE}).")
    String db;

    @Option(names = "--dataset", required = true, description = "Dataset to import into; created if missing.")
    String dataset;

    @Option(names = "--overlap", defaultValue = "1", description = "Annotators per task when the dataset is created (default: ${DEFAULT-VALUE}).")
    int overlap;

    @Parameters(arity = "1..*", paramLabel = "FORMAT:PATH", description = "What to import.")
    List<String> sources;

    @Override
    public Integer call() {
        List<ImportSource> parsed = new ArrayList<>();
        for (String s : sources) {
            ImportSource src;
            try {
                src = ImportSource.parse(s);
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage());
            }
            if (!Files.exists(src.path())) throw new UserException("no such file or directory: " + src.path());
            parsed.add(src);
        }
        DatasetSettings settings;
        try {
            settings = DatasetSettings.defaults().withOverlap(overlap);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        try (FeedbackStore store = openStore(db)) {
            ImportSummary s = new FeedbackImporter(store).importSources(dataset, settings, parsed);
            System.out.printf("dataset %s: %d prompts, %d tasks, %d judgements stored (%d responses; %d records read, %d already imported)%n",
                    s.dataset(), s.prompts(), s.tasks(), s.judgements(), s.responses(), s.records(), s.skipped());
            return 0;
        } catch (PreferenceFormatException e) {
            throw new UserException(e.getMessage() + " (nothing was imported)", e);
        } catch (UncheckedIOException e) {
            throw new UserException(e.getMessage() + " (nothing was imported)", e);
        }
    }
}
