package dev.tandem.feedback.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Submission;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.store.DatasetSummary;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.feedback.testing.TestData;
import dev.tandem.feedback.testing.TestDatabase;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Import and export, on the real files; run on SQLite and PostgreSQL by the subclasses. */
abstract class ImportExportContract {
    @TempDir Path tmp;
    TestDatabase db;
    FeedbackStore store;
    FeedbackImporter importer;
    FeedbackExporter exporter;
    final ObjectMapper mapper = new ObjectMapper();

    abstract TestDatabase newDatabase(Path dir);

    @BeforeEach
    void open() {
        db = newDatabase(tmp);
        store = JdbcFeedbackStore.open(StoreConfig.of(db.url()));
        importer = new FeedbackImporter(store);
        exporter = new FeedbackExporter(store);
    }

    @AfterEach
    void close() throws Exception {
        if (store != null) store.close();
        if (db != null) db.close();
    }

    private static List<PreferenceRecord> read(PreferenceFormat f, Path p) {
        try (Stream<PreferenceRecord> s = f.read(p)) {
            return s.toList();
        }
    }

    private List<JsonNode> export(ExportOptions o) throws IOException {
        StringWriter w = new StringWriter();
        long n = exporter.export(o, w);
        List<JsonNode> rows = new ArrayList<>();
        for (String line : w.toString().split("\n")) if (!line.isEmpty()) rows.add(mapper.readTree(line));
        assertEquals(n, rows.size());
        return rows;
    }

    /** Multiset of (prompt, chosen, rejected). */
    private static Map<List<String>, Integer> pairBag(Stream<List<String>> triples) {
        Map<List<String>, Integer> bag = new HashMap<>();
        triples.forEach(t -> bag.merge(t, 1, Integer::sum));
        return bag;
    }

    private static Map<List<String>, Integer> exportedPairs(List<JsonNode> rows) {
        return pairBag(rows.stream().map(r -> List.of(r.get("prompt").asText(), r.get("chosen").asText(), r.get("rejected").asText())));
    }

    private static Map<List<String>, Integer> readPairs(List<PreferenceRecord> records) {
        return pairBag(records.stream().flatMap(r -> r instanceof PreferenceRecord.Ranked k ? k.pairs().stream() : Stream.of((PreferenceRecord.Pair) r))
                .map(p -> List.of(p.prompt(), p.chosen(), p.rejected())));
    }

    @Test
    void hhRlhfRoundTrip() throws IOException {
        Path file = TestData.require("preferences/hh-rlhf/harmless-base-test.jsonl.gz");
        ImportSummary s = importer.importSources("hh", DatasetSettings.defaults(), List.of(ImportSource.parse("hh-rlhf:" + file)));
        List<PreferenceRecord> records = read(PreferenceFormat.HH_RLHF, file);
        assertEquals(2312, s.records());
        assertEquals(2312, s.tasks());
        assertEquals(2312, s.judgements());
        assertEquals(records.stream().map(PreferenceRecord::prompt).distinct().count(), s.prompts());
        assertEquals(0, s.skipped());
        Annotator imp = store.annotatorByName("import:hh-rlhf").orElseThrow();
        assertEquals(AnnotatorKind.EXTERNAL_IMPORT, imp.kind());

        List<JsonNode> rows = export(ExportOptions.of("hh", ExportKind.PAIRS));
        assertEquals(2312, rows.size());
        assertEquals(readPairs(records), exportedPairs(rows));
        assertEquals(List.of("prompt", "chosen", "rejected"), iterable(rows.get(0).fieldNames()));

        // chosen is not always shown/stored as response A
        long chosenFirst = store.judgements(store.datasetByName("hh").orElseThrow().id()).stream()
                .filter(j -> ((JudgementPayload.Pairwise) j.payload()).choice() == JudgementPayload.Choice.A).count();
        assertTrue(chosenFirst > 1000 && chosenFirst < 1312, "chosen first in " + chosenFirst + " of 2312");

        // re-import stores nothing new
        ImportSummary again = importer.importSources("hh", DatasetSettings.defaults(), List.of(ImportSource.parse("hh-rlhf:" + file)));
        assertEquals(new ImportSummary("hh", 2312, 0, 0, 0, 0, 2312), again);
        DatasetSummary sum = store.datasetSummaries().get(0);
        assertEquals(2312, sum.done());
        assertEquals(2312, sum.judgements());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    @Test
    void oasstRoundTripAsRankingsAndPairs() throws IOException {
        Path file = TestData.require("preferences/oasst/en_100_tree.jsonl");
        ImportSummary s = importer.importSources("oasst", DatasetSettings.defaults(), List.of(new ImportSource(PreferenceFormat.OASST, file)));
        List<PreferenceRecord> records = read(PreferenceFormat.OASST, file);
        assertEquals(212, s.tasks());
        assertEquals(212, s.judgements());
        assertEquals(212, s.prompts());
        assertEquals(records.stream().mapToInt(r -> ((PreferenceRecord.Ranked) r).responses().size()).sum(), s.responses());

        List<JsonNode> rankings = export(ExportOptions.of("oasst", ExportKind.RANKINGS));
        assertEquals(212, rankings.size());
        for (int i = 0; i < records.size(); i++) { // tasks and records are in the same order
            var r = (PreferenceRecord.Ranked) records.get(i);
            JsonNode row = rankings.get(i);
            assertEquals(r.prompt(), row.get("prompt").asText());
            assertEquals(r.responses(), iterableText(row.get("responses")));
            assertEquals(r.ranks(), iterableInt(row.get("ranks")));
        }
        List<JsonNode> pairs = export(ExportOptions.of("oasst", ExportKind.PAIRS));
        assertEquals(754, pairs.size());
        assertEquals(readPairs(records), exportedPairs(pairs));
        assertEquals(0, export(ExportOptions.of("oasst", ExportKind.PAIRS).withExpandRankings(false)).size());
    }

    private static List<String> iterableText(JsonNode a) {
        List<String> l = new ArrayList<>();
        a.forEach(n -> l.add(n.asText()));
        return l;
    }

    private static List<Integer> iterableInt(JsonNode a) {
        List<Integer> l = new ArrayList<>();
        a.forEach(n -> l.add(n.intValue()));
        return l;
    }

    @Test
    void ukpConvArgRoundTripSharesPromptsAndArguments() throws IOException {
        Path dir = TestData.require("preferences/ukpconvarg1");
        ImportSummary s = importer.importSources("ukp", DatasetSettings.defaults(), List.of(ImportSource.parse("ukpconvarg:" + dir)));
        List<PreferenceRecord> records = read(PreferenceFormat.UKPCONVARG, dir);
        assertEquals(8423, s.tasks());
        assertEquals(8423, s.judgements());
        assertEquals(24, s.prompts());
        long distinctArguments = records.stream().flatMap(r -> Stream.of(r.prompt() + "\u0000" + ((PreferenceRecord.Pair) r).chosen(),
                r.prompt() + "\u0000" + ((PreferenceRecord.Pair) r).rejected())).distinct().count();
        assertEquals(distinctArguments, s.responses(), "each argument stored once per debate side");
        assertEquals(readPairs(records), exportedPairs(export(ExportOptions.of("ukp", ExportKind.PAIRS))));
    }

    @Test
    void malformedImportNamesFileLineFieldAndStoresNothing() throws IOException {
        Path good = TestData.require("preferences/oasst/en_100_tree.jsonl");
        Path dir = Files.createDirectories(tmp.resolve("in"));
        Files.writeString(dir.resolve("a-good.jsonl"), "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}\n");
        Files.writeString(dir.resolve("b-bad.jsonl"), "{\"prompt\":\"p2\",\"chosen\":\"a\",\"rejected\":\"b\"}\n"
                + "{\"prompt\":\"p3\",\"responses\":[\"a\",\"b\"],\"ranks\":[0,1]}\n"
                + "{\"prompt\":\"p4\",\"chosen\":\"a\",\"rejected\":7}\n");
        var e = assertThrows(PreferenceFormatException.class, () -> importer.importSources("mixed", DatasetSettings.defaults(),
                List.of(new ImportSource(PreferenceFormat.OASST, good), ImportSource.parse("jsonl:" + dir))));
        assertEquals(dir.resolve("b-bad.jsonl") + ":3: field 'rejected': expected a string, got NUMBER", e.getMessage());
        assertTrue(store.datasets().isEmpty(), "the dataset created by the failed import is rolled back");
        assertTrue(store.annotators().isEmpty());
        assertTrue(store.datasetByName("mixed").isEmpty());

        // an existing dataset keeps exactly what it had
        importer.importSources("mixed", DatasetSettings.defaults(), List.of(ImportSource.parse("jsonl:" + dir.resolve("a-good.jsonl"))));
        long id = store.datasetByName("mixed").orElseThrow().id();
        assertThrows(PreferenceFormatException.class, () -> importer.importSources("mixed", DatasetSettings.defaults(),
                List.of(ImportSource.parse("jsonl:" + dir))));
        assertEquals(1, store.prompts(id).size());
        assertEquals(1, store.tasks(id).size());
        assertEquals(1, store.judgements(id).size());
    }

    @Test
    void genericJsonlRoundTripKeepsStrengthAndRankings() throws IOException {
        Path f = tmp.resolve("mine.jsonl");
        Files.writeString(f, """
                {"prompt": "Capital of France?", "chosen": "Paris", "rejected": "Lyon", "strength": "much"}
                {"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Paris", "strength": "slightly"}
                {"prompt": "Sort", "responses": ["b", "a", "c"], "ranks": [1, 0, 1]}
                {"prompt": "same", "chosen": "dup", "rejected": "dup"}
                """);
        ImportSummary s = importer.importSources("mine", DatasetSettings.defaults(), List.of(ImportSource.parse("jsonl:" + f)));
        // responses: Paris, Lyon, Paris. (Paris shared) + b, a, c + dup twice (a task needs two distinct responses) = 8
        assertEquals(new ImportSummary("mine", 4, 3, 8, 4, 4, 0), s);
        long id = store.datasetByName("mine").orElseThrow().id();
        List<Judgement> js = store.judgements(id);
        assertEquals(JudgementPayload.Strength.MUCH, ((JudgementPayload.Pairwise) js.get(0).payload()).strength());
        assertEquals(JudgementPayload.Strength.SLIGHTLY, ((JudgementPayload.Pairwise) js.get(1).payload()).strength());
        List<JsonNode> pairs = export(ExportOptions.of("mine", ExportKind.PAIRS));
        assertEquals(readPairs(read(PreferenceFormat.JSONL, f)), exportedPairs(pairs));
        List<JsonNode> rankings = export(ExportOptions.of("mine", ExportKind.RANKINGS));
        assertEquals(1, rankings.size());
        assertEquals("{\"prompt\":\"Sort\",\"responses\":[\"b\",\"a\",\"c\"],\"ranks\":[1,0,1]}", rankings.get(0).toString());
        // the exported rankings are themselves valid generic JSONL
        Path back = tmp.resolve("back.jsonl");
        Files.writeString(back, rankings.get(0).toString() + "\n");
        assertEquals(List.of(1, 0, 1), ((PreferenceRecord.Ranked) read(PreferenceFormat.JSONL, back).get(0)).ranks());
        assertEquals(FeedbackException.Reason.NOT_FOUND,
                assertThrows(FeedbackException.class, () -> export(ExportOptions.of("nope", ExportKind.PAIRS))).reason());
    }

    @Test
    void exportFiltersByAgreementAndGoldAccuracy() throws IOException {
        Path f = tmp.resolve("three.jsonl");
        Files.writeString(f, """
                {"prompt": "q1", "chosen": "a1", "rejected": "b1"}
                {"prompt": "q2", "chosen": "a2", "rejected": "b2"}
                {"prompt": "q3", "chosen": "a3", "rejected": "b3"}
                """);
        importer.importSources("agree", DatasetSettings.defaults().withOverlap(3), List.of(ImportSource.parse("jsonl:" + f)));
        long id = store.datasetByName("agree").orElseThrow().id();
        Annotator good = store.createAnnotator("good", AnnotatorKind.HUMAN);
        Annotator sloppy = store.createAnnotator("sloppy", AnnotatorKind.HUMAN);
        List<Task> tasks = store.tasks(id);
        // good agrees with the import everywhere; sloppy agrees on q1 and disagrees on q2, q3
        for (int i = 0; i < 3; i++) {
            Task t = tasks.get(i);
            var imported = (JudgementPayload.Pairwise) store.judgementsForTask(t.id()).get(0).payload();
            store.addJudgement(t.id(), good.id(), "g" + i, imported, Instant.now(), 1000, null);
            var sloppyChoice = i == 0 ? imported.choice() : imported.choice().swapped();
            store.addJudgement(t.id(), sloppy.id(), "s" + i, new JudgementPayload.Pairwise(sloppyChoice), Instant.now(), 1000, null);
        }
        assertEquals(3, export(ExportOptions.of("agree", ExportKind.PAIRS)).size(), "majority 2 of 3 everywhere");
        assertEquals(3, export(ExportOptions.of("agree", ExportKind.PAIRS).withMinAgreement(0.6)).size());
        List<JsonNode> strict = export(ExportOptions.of("agree", ExportKind.PAIRS).withMinAgreement(0.9));
        assertEquals(1, strict.size(), "only q1 is unanimous");
        assertEquals("q1", strict.get(0).get("prompt").asText());
        assertEquals("a1", strict.get(0).get("chosen").asText());

        // a gold task that sloppy gets wrong and good gets right
        Prompt gp = store.addPrompt(id, "gold q", null, null);
        Response right = store.addResponse(gp.id(), "right", null);
        Response wrong = store.addResponse(gp.id(), "wrong", null);
        store.addTask(id, NewTask.gold(gp.id(), JudgementKind.PAIRWISE, List.of(right.id(), wrong.id()), new JudgementPayload.Pairwise(JudgementPayload.Choice.A)));
        store.updateSettings(id, store.dataset(id).orElseThrow().settings().withGoldRate(1.0));
        for (Annotator a : List.of(good, sloppy)) {
            AssignedTask at = store.nextTask(a.id(), id).orElseThrow();
            assertTrue(at.task().gold());
            boolean rightFirst = at.shownResponses().get(0).id() == right.id();
            JudgementPayload.Choice pick = (a == good) == rightFirst ? JudgementPayload.Choice.A : JudgementPayload.Choice.B;
            store.submit(a.id(), new Submission(at.assignment().id(), "gold-" + a.id(), new JudgementPayload.Pairwise(pick), 500, null));
        }
        assertEquals(3, export(ExportOptions.of("agree", ExportKind.PAIRS)).size(), "gold tasks are not exported");
        // without sloppy every task is unanimous
        assertEquals(3, export(ExportOptions.of("agree", ExportKind.PAIRS).withMinAgreement(1.0).withMinGoldAccuracy(0.5)).size());
    }

    @Test
    void ratingsAndDemonstrationsExport() throws IOException {
        var d = store.createDataset("sft", "", DatasetSettings.defaults().withOverlap(2));
        Prompt p = store.addPrompt(d.id(), "Tell a joke", null, null);
        Response r = store.addResponse(p.id(), "Knock knock", null);
        Task rate = store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.RATING, List.of(r.id())));
        Task demo = store.addTask(d.id(), NewTask.of(p.id(), JudgementKind.DEMONSTRATION, List.of(r.id())));
        Annotator a = store.createAnnotator("a", AnnotatorKind.HUMAN);
        Annotator b = store.createAnnotator("b", AnnotatorKind.AI_JUDGE);
        store.addJudgement(rate.id(), a.id(), "1", new JudgementPayload.Rating(6, Set.of("other"), null), Instant.now(), 1, null);
        store.addJudgement(rate.id(), b.id(), "2", new JudgementPayload.Rating(6), Instant.now(), 1, 0.9);
        store.addJudgement(demo.id(), a.id(), "3", new JudgementPayload.Demonstration("Knock knock. Who's there? Tandem."), Instant.now(), 1, null);
        // the AI judge's rating counts only when asked for
        assertEquals("[6]", export(ExportOptions.of("sft", ExportKind.RATINGS)).get(0).get("scores").toString());
        List<JsonNode> ratings = export(ExportOptions.of("sft", ExportKind.RATINGS).withIncludeAiJudges(true));
        assertEquals("{\"prompt\":\"Tell a joke\",\"response\":\"Knock knock\",\"score\":6.0,\"scores\":[6,6],\"flags\":{\"other\":1}}",
                ratings.get(0).toString());
        List<JsonNode> demos = export(ExportOptions.of("sft", ExportKind.DEMONSTRATIONS));
        assertEquals("{\"prompt\":\"Tell a joke\",\"completion\":\"Knock knock. Who's there? Tandem.\"}", demos.get(0).toString());
        assertEquals(0, export(ExportOptions.of("sft", ExportKind.PAIRS)).size());
    }
}
