package dev.tandem.loop;

import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.io.ExportKind;
import dev.tandem.feedback.io.ExportOptions;
import dev.tandem.feedback.io.FeedbackExporter;
import dev.tandem.feedback.io.ImportSource;
import dev.tandem.feedback.io.PreferenceFormat;
import dev.tandem.feedback.sim.SimulatedAnnotator;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.model.Progress;
import dev.tandem.reward.PreferenceData;

import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Step 2: puts generated pairs into the feedback store as pairwise tasks and has the SIMULATED annotator judge
 * them (annotator {@value #ANNOTATOR}, kind {@code simulated}); then exports the labels as {@code {prompt, chosen,
 * rejected}} JSONL, the only thing reward modelling and policy optimisation get to read. The annotator's hidden gold
 * scores are never written anywhere.
 */
public final class FeedbackCollector {
    /** The simulated annotator's name in the store. */
    public static final String ANNOTATOR = "simulated-annotator";
    private static final int CHUNK = 100;

    private final FeedbackStore store;
    private final SimulatedAnnotator annotator;
    private final Dataset dataset;
    private final Annotator simulated;

    /** What one collection produced. */
    public record Collected(int tasks, int judgements, int agreedWithGold, int decisiveByGold) {
        /** How often the annotator's answer matched its own hidden gold order (reporting only; NaN when none). */
        public double goldAgreement() {
            return decisiveByGold == 0 ? Double.NaN : agreedWithGold / (double) decisiveByGold;
        }
    }

    public FeedbackCollector(FeedbackStore store, SimulatedAnnotator annotator, String datasetName) {
        this.store = store;
        this.annotator = annotator;
        this.dataset = store.ensureDataset(datasetName,
                "tandem demo: story continuations judged by a SIMULATED annotator (hidden gold preference)",
                DatasetSettings.defaults());
        this.simulated = store.ensureAnnotator(ANNOTATOR, AnnotatorKind.SIMULATED);
        if (simulated.kind() != AnnotatorKind.SIMULATED) {
            throw new IllegalStateException("annotator '" + ANNOTATOR + "' exists in the store but is not simulated");
        }
    }

    public Dataset dataset() { return dataset; }

    public Annotator annotator() { return simulated; }

    /**
     * Stores the pairs (prompts shared by text, one task per pair, the responses' model and version recorded) in
     * one transaction, then the simulated judgements in chunks of {@value #CHUNK} per transaction.
     *
     * @param round used in client ids, so a repeated round is refused rather than double-counted
     */
    public Collected collect(List<PairGenerator.Candidate> pairs, Response.ModelInfo model, int round) {
        List<Task> tasks = addPairTasks(store, dataset, pairs, model, "tandem demo");
        int agreed = 0, decisive = 0, judged = 0;
        try (Progress bar = new Progress("simulated annotator", tasks.size())) {
            for (int start = 0; start < tasks.size(); start += CHUNK) {
                int end = Math.min(tasks.size(), start + CHUNK);
                List<JudgementPayload> payloads = new ArrayList<>();
                for (int i = start; i < end; i++) {
                    PairGenerator.Candidate c = pairs.get(i);
                    SimulatedAnnotator.Verdict v = annotator.compare(c.first(), c.second());
                    if (v.goldFirst() != v.goldSecond()) {
                        decisive++;
                        if (v.firstWins() == v.goldFirst() > v.goldSecond()) agreed++;
                    }
                    payloads.add(new JudgementPayload.Pairwise(v.firstWins() ? JudgementPayload.Choice.A
                            : JudgementPayload.Choice.B, null, null));
                }
                int from = start;
                store.batch(w -> {
                    for (int i = 0; i < payloads.size(); i++) {
                        Task t = tasks.get(from + i);
                        w.addJudgement(t.id(), simulated.id(), "demo-r" + round + "-t" + t.id(), payloads.get(i),
                                Instant.now(), 0, null);
                    }
                    return null;
                });
                judged += payloads.size();
                bar.update(end, "");
            }
        }
        return new Collected(tasks.size(), judged, agreed, decisive);
    }

    /**
     * Stores the pairs as pairwise tasks of {@code dataset} in one transaction: prompts shared by text (a new one is
     * added with {@code source}), two responses with {@code model}'s info and one task per pair; returns the tasks.
     */
    static List<Task> addPairTasks(FeedbackStore store, Dataset dataset, List<PairGenerator.Candidate> pairs,
            Response.ModelInfo model, String source) {
        return store.batch(w -> {
            Map<String, Long> promptIds = new HashMap<>();
            List<Task> out = new ArrayList<>(pairs.size());
            for (PairGenerator.Candidate c : pairs) {
                long pid = promptIds.computeIfAbsent(c.prompt(), text -> w.findPrompt(dataset.id(), text)
                        .map(Prompt::id).orElseGet(() -> w.addPrompt(dataset.id(), text, null, source).id()));
                Response a = w.addResponse(pid, c.first(), model);
                Response b = w.addResponse(pid, c.second(), model);
                out.add(w.addTask(dataset.id(), NewTask.of(pid, JudgementKind.PAIRWISE, List.of(a.id(), b.id()))));
            }
            return out;
        });
    }

    /**
     * Exports every labelled pair of the dataset (all rounds so far) to {@code file} as JSONL
     * {@code {prompt, chosen, rejected}}, atomically; returns the number of lines.
     */
    public long export(Path file) throws IOException {
        return export(store, dataset.name(), file);
    }

    /** Exports a dataset's pairwise labels (majority per task, gold tasks excluded) to {@code file}, atomically. */
    public static long export(FeedbackStore store, String datasetName, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        long lines;
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            lines = new FeedbackExporter(store).export(ExportOptions.of(datasetName, ExportKind.PAIRS), w);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return lines;
    }

    /** Reads exported pairs back with the feedback module's JSONL reader. */
    public static PreferenceData read(Path file) {
        return PreferenceData.read(List.of(new ImportSource(PreferenceFormat.JSONL, file)));
    }
}
