package dev.tandem.feedback.io;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.store.BatchWriter;
import dev.tandem.feedback.store.FeedbackStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Writes preference records into a store. An import (all its sources) is ONE transaction: a malformed record anywhere
 * rolls back everything, including a dataset the import created. Existing labels become judgements by the annotator
 * {@code import:FORMAT} (kind external-import), so they count like in-app judgements (and toward the overlap).
 *
 * <p>Pairs become pairwise tasks whose response order is drawn per record (seeded by the record's source, so re-runs
 * are identical), so "chosen" is not always response A. Rankings become ranking tasks in file order. Prompts are
 * shared by exact text within the dataset, responses by exact text within a prompt. Records already imported into
 * the dataset (same file name, line and item) are skipped, so re-running an import adds nothing.
 */
public final class FeedbackImporter {
    private final FeedbackStore store;
    private final Clock clock;

    public FeedbackImporter(FeedbackStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public FeedbackImporter(FeedbackStore store) { this(store, Clock.systemUTC()); }

    /**
     * Imports all sources into the named dataset (created with {@code settingsIfNew} when absent), in one transaction.
     *
     * @throws PreferenceFormatException for malformed input (file, line, field named); nothing is stored
     * @throws java.io.UncheckedIOException for unreadable files; nothing is stored
     */
    public ImportSummary importSources(String datasetName, DatasetSettings settingsIfNew, List<ImportSource> sources) {
        return store.batch(w -> {
            Dataset dataset = w.ensureDataset(datasetName, "", settingsIfNew);
            ImportSummary total = new ImportSummary(datasetName, 0, 0, 0, 0, 0, 0);
            for (ImportSource src : sources) {
                Annotator importer = w.ensureAnnotator("import:" + src.format().id(), AnnotatorKind.EXTERNAL_IMPORT);
                Run run = new Run(w, dataset, importer);
                try (Stream<PreferenceRecord> records = src.format().read(src.path())) {
                    records.forEach(run::add);
                }
                total = total.plus(run.summary(datasetName));
            }
            return total;
        });
    }

    /** Imports already-read records (e.g. from tests or another reader) as if they came from {@code format}. */
    public ImportSummary importRecords(String datasetName, DatasetSettings settingsIfNew, String annotatorName, Stream<PreferenceRecord> records) {
        return store.batch(w -> {
            Dataset dataset = w.ensureDataset(datasetName, "", settingsIfNew);
            Run run = new Run(w, dataset, w.ensureAnnotator(annotatorName, AnnotatorKind.EXTERNAL_IMPORT));
            records.forEach(run::add);
            return run.summary(datasetName);
        });
    }

    /** State of one source's import inside the transaction. */
    private final class Run {
        private final BatchWriter w;
        private final Dataset dataset;
        private final Annotator importer;
        private final Map<String, Prompt> prompts = new HashMap<>();
        private final Map<Long, Map<String, Long>> responses = new HashMap<>();
        private int records, newPrompts, newResponses, tasks, judgements, skipped;

        Run(BatchWriter w, Dataset dataset, Annotator importer) {
            this.w = w;
            this.dataset = dataset;
            this.importer = importer;
        }

        void add(PreferenceRecord r) {
            records++;
            String clientId = clientId(r.source());
            if (w.hasJudgement(importer.id(), clientId)) {
                skipped++;
                return;
            }
            Prompt p = prompt(r);
            if (r instanceof PreferenceRecord.Pair pair) {
                List<Long> ids = responseIds(p, List.of(pair.chosen(), pair.rejected()));
                boolean chosenFirst = new SplittableRandom(clientId.hashCode()).nextBoolean();
                List<Long> order = chosenFirst ? ids : List.of(ids.get(1), ids.get(0));
                var task = w.addTask(dataset.id(), NewTask.of(p.id(), JudgementKind.PAIRWISE, order));
                var payload = new JudgementPayload.Pairwise(chosenFirst ? JudgementPayload.Choice.A : JudgementPayload.Choice.B, pair.strength(), null);
                w.addJudgement(task.id(), importer.id(), clientId, payload, clock.instant(), 0, null);
            } else if (r instanceof PreferenceRecord.Ranked ranked) {
                if (ranked.responses().size() > JudgementKind.RANKING.maxResponses())
                    throw new PreferenceFormatException(r.source().file(), r.source().line(), "responses",
                            ranked.responses().size() + " ranked responses, at most " + JudgementKind.RANKING.maxResponses() + " are supported");
                var task = w.addTask(dataset.id(), NewTask.of(p.id(), JudgementKind.RANKING, responseIds(p, ranked.responses())));
                w.addJudgement(task.id(), importer.id(), clientId, new JudgementPayload.Ranking(ranked.ranks()), clock.instant(), 0, null);
            }
            tasks++;
            judgements++;
        }

        private String clientId(SourceRef s) {
            String file = java.nio.file.Path.of(s.file()).getFileName().toString();
            return "import:" + file + ":" + s.line() + (s.item() == null ? "" : "#" + s.item());
        }

        private Prompt prompt(PreferenceRecord r) {
            Prompt p = prompts.get(r.prompt());
            if (p != null) return p;
            p = w.findPrompt(dataset.id(), r.prompt()).orElse(null);
            if (p == null) {
                p = w.addPrompt(dataset.id(), r.prompt(), r.groupKey(), r.source().toString());
                newPrompts++;
            }
            prompts.put(r.prompt(), p);
            return p;
        }

        /** Response ids for these texts; a text repeated within one task gets its own response so the task stays valid. */
        private List<Long> responseIds(Prompt p, List<String> texts) {
            Map<String, Long> known = responses.computeIfAbsent(p.id(), k -> new HashMap<>());
            List<Long> ids = new ArrayList<>();
            for (String text : texts) {
                Long id = known.get(text);
                if (id == null) {
                    id = w.findResponse(p.id(), text).map(Response::id).orElse(null);
                    if (id == null) {
                        id = w.addResponse(p.id(), text, Response.ModelInfo.unknown()).id();
                        newResponses++;
                    }
                    known.put(text, id);
                }
                if (ids.contains(id)) {
                    id = w.addResponse(p.id(), text, Response.ModelInfo.unknown()).id();
                    newResponses++;
                }
                ids.add(id);
            }
            return ids;
        }

        ImportSummary summary(String name) {
            return new ImportSummary(name, records, newPrompts, newResponses, tasks, judgements, skipped);
        }
    }
}
