package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.Annotator;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.DatasetSettings;
import dev.tandem.feedback.JudgementKind;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.NewTask;
import dev.tandem.feedback.PayloadCodec;
import dev.tandem.feedback.Prompt;
import dev.tandem.feedback.Response;
import dev.tandem.feedback.Task;
import dev.tandem.feedback.io.ExportKind;
import dev.tandem.feedback.io.ExportOptions;
import dev.tandem.feedback.io.FeedbackExporter;
import dev.tandem.feedback.stats.FeedbackStats;
import dev.tandem.feedback.store.DatasetSummary;
import dev.tandem.feedback.store.FeedbackStore;
import io.javalin.http.Context;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Admin routes: datasets, tasks, annotators and tokens, judgements, export, statistics. */
final class AdminApi {
    private static final int MAX_TEXT = 100_000;

    private final FeedbackStore store;
    private final ObjectMapper mapper;
    private final PayloadCodec codec;
    private final LabelApi labels;
    private final long maxBody;
    private final ServerConfig config;

    private final java.util.function.LongConsumer revoked;

    AdminApi(FeedbackStore store, ObjectMapper mapper, PayloadCodec codec, LabelApi labels, ServerConfig config,
             java.util.function.LongConsumer revoked) {
        this.revoked = revoked;
        this.store = store;
        this.mapper = mapper;
        this.codec = codec;
        this.labels = labels;
        this.maxBody = config.maxRequestBytes();
        this.config = config;
    }

    List<ApiRoute> routes() {
        return List.of(
                admin(ApiRoute.post("/api/datasets").body("NewDataset").ok(201, "application/json").returns("Dataset")
                        .summary("Create a dataset (409 if the name is taken)")).handle(this::createDataset),
                admin(ApiRoute.put("/api/datasets/{datasetId}/settings").body("Settings").returns("Dataset")
                        .summary("Replace a dataset's settings (overlap, gold rate, lease timeout, rating flags)")).handle(this::updateSettings),
                admin(ApiRoute.post("/api/datasets/{datasetId}/tasks").body("NewTasks").ok(201, "application/json").returns("CreatedTasks")
                        .summary("Add prompts, responses and tasks in one transaction (all or nothing)")).handle(this::createTasks),
                admin(ApiRoute.get("/api/datasets/{datasetId}/tasks").returns("TaskList")
                        .summary("All tasks of a dataset, gold included")).handle(this::tasks),
                admin(ApiRoute.get("/api/datasets/{datasetId}/judgements").returns("JudgementList")
                        .query(new ApiRoute.QueryParam("limit", "integer", "at most this many (default 500, max 10000)"),
                                new ApiRoute.QueryParam("afterId", "integer", "only judgements with a larger id (paging)"))
                        .summary("Judgements of a dataset (payload positions refer to the order shown)")).handle(this::judgements),
                admin(ApiRoute.get("/api/datasets/{datasetId}/export").ok(200, "application/x-ndjson")
                        .query(new ApiRoute.QueryParam("kind", "string", "pairs (default), rankings, ratings or demonstrations"),
                                new ApiRoute.QueryParam("minAgreement", "number", "keep tasks whose consensus has at least this agreement, 0..1"),
                                new ApiRoute.QueryParam("minGoldAccuracy", "number", "drop annotators below this gold accuracy, 0..1"),
                                new ApiRoute.QueryParam("expandRankings", "boolean", "pairs: also expand rankings into pairs (default true)"))
                        .summary("Stream the consensus labels as JSONL for training (gold tasks never exported)")).handle(this::export),
                admin(ApiRoute.get("/api/datasets/{datasetId}/stats").returns("DatasetStats")
                        .summary("Agreement (percent, Cohen's kappa per pair, Krippendorff's alpha), label distribution, "
                                + "side bias, per-annotator throughput and gold accuracy")).handle(this::stats),
                admin(ApiRoute.get("/api/admin/overview").returns("Overview")
                        .summary("All datasets with task counts and all annotators with throughput and gold accuracy")).handle(this::overview),
                admin(ApiRoute.get("/api/annotators").returns("AnnotatorList").summary("All annotators")).handle(this::annotators),
                admin(ApiRoute.post("/api/annotators").body("NewAnnotator").ok(201, "application/json").returns("CreatedAnnotator")
                        .summary("Create an annotator and issue its first token (shown once)")).handle(this::createAnnotator),
                admin(ApiRoute.post("/api/annotators/{annotatorId}/tokens").ok(201, "application/json").returns("Token")
                        .summary("Issue another token for an annotator (shown once)")).handle(this::issueToken),
                admin(ApiRoute.delete("/api/annotators/{annotatorId}/tokens").returns("Revoked")
                        .summary("Revoke all tokens of an annotator")).handle(this::revokeTokens));
    }

    private static ApiRoute.Builder admin(ApiRoute.Builder b) { return b.role(Role.ADMIN).tag("admin"); }

    // ---------------------------------------------------------------- datasets

    private void createDataset(Context ctx, Principal who) {
        JsonNode body = Json.body(ctx, mapper, maxBody);
        String name = Json.text(body, "name", true, 200);
        String description = Json.text(body, "description", false, 10_000);
        JsonNode s = Json.object(body, "settings", false);
        DatasetSettings settings = s == null ? DatasetSettings.defaults() : settings(s, DatasetSettings.defaults(), "settings.");
        Dataset d = store.createDataset(name.strip(), description, settings);
        ctx.status(201).json(Views.DatasetView.of(d, null));
    }

    private void updateSettings(Context ctx, Principal who) {
        Dataset d = LabelApi.requireDataset(store, Json.id(ctx, "datasetId"));
        DatasetSettings s = settings(Json.body(ctx, mapper, maxBody), d.settings(), "");
        ctx.json(Views.DatasetView.of(store.updateSettings(d.id(), s), null));
    }

    /** Settings from JSON; absent fields keep {@code base}'s values. */
    private static DatasetSettings settings(JsonNode s, DatasetSettings base, String prefix) {
        int overlap = (int) (long) field(prefix, "overlap", () -> Json.integer(s, "overlap", base.overlap(), 1, 50));
        double gold = field(prefix, "goldRate", () -> Json.number(s, "goldRate", base.goldRate(), 0, 1));
        long lease = field(prefix, "leaseTimeoutSeconds",
                () -> Json.integer(s, "leaseTimeoutSeconds", base.leaseTimeout().toSeconds(), 1, 7 * 24 * 3600));
        List<String> flags = field(prefix, "ratingFlags", () -> Json.strings(s, "ratingFlags", base.ratingFlags()));
        try {
            return new DatasetSettings(overlap, gold, Duration.ofSeconds(lease), flags);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(prefix + "ratingFlags", e.getMessage());
        }
    }

    // ---------------------------------------------------------------- tasks

    /** One parsed task of a NewTasks body, validated before anything is written. */
    private record TaskSpec(JudgementKind kind, String prompt, String groupKey, String source, List<String> texts,
                            List<Response.ModelInfo> models, int priority, JudgementPayload gold) {}

    private void createTasks(Context ctx, Principal who) {
        Dataset d = LabelApi.requireDataset(store, Json.id(ctx, "datasetId"));
        JsonNode arr = Json.array(Json.body(ctx, mapper, maxBody), "tasks", true);
        if (arr.isEmpty()) throw ApiException.invalid("tasks", "must not be empty");
        List<TaskSpec> specs = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) specs.add(taskSpec(arr.get(i), "tasks[" + i + "]."));
        int[] counts = new int[2]; // prompts, responses created
        List<Long> ids = store.batch(w -> {
            List<Long> out = new ArrayList<>();
            for (TaskSpec t : specs) {
                Prompt p = w.findPrompt(d.id(), t.prompt()).orElse(null);
                if (p == null) {
                    p = w.addPrompt(d.id(), t.prompt(), t.groupKey(), t.source());
                    counts[0]++;
                }
                List<Long> rids = new ArrayList<>();
                for (int k = 0; k < t.texts().size(); k++) {
                    Response r = w.findResponse(p.id(), t.texts().get(k)).orElse(null);
                    if (r == null) {
                        r = w.addResponse(p.id(), t.texts().get(k), t.models().get(k));
                        counts[1]++;
                    }
                    rids.add(r.id());
                }
                out.add(w.addTask(d.id(), new NewTask(p.id(), t.kind(), rids, t.priority(), t.gold())).id());
            }
            return out;
        });
        ctx.status(201).json(new Views.CreatedTasksView(counts[0], counts[1], ids.size(), ids));
    }

    private TaskSpec taskSpec(JsonNode t, String at) {
        if (t == null || !t.isObject()) throw ApiException.invalid(at.substring(0, at.length() - 1), "must be a JSON object");
        String kindText = field(at, "kind", () -> Json.text(t, "kind", true, 40));
        JudgementKind kind;
        try {
            kind = JudgementKind.fromWire(kindText);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(at + "kind", "must be pairwise, ranking, rating or demonstration, got '" + kindText + "'");
        }
        String prompt = field(at, "prompt", () -> Json.text(t, "prompt", true, MAX_TEXT));
        String groupKey = field(at, "groupKey", () -> Json.text(t, "groupKey", false, 200));
        String source = field(at, "source", () -> Json.text(t, "source", false, 1000));
        int priority = (int) (long) field(at, "priority", () -> Json.integer(t, "priority", 0, -1_000_000, 1_000_000));
        JsonNode rs = field(at, "responses", () -> Json.array(t, "responses", false));
        List<String> texts = new ArrayList<>();
        List<Response.ModelInfo> models = new ArrayList<>();
        if (rs != null) {
            for (int k = 0; k < rs.size(); k++) {
                String rat = at + "responses[" + k + "].";
                JsonNode r = rs.get(k);
                if (!r.isObject()) throw ApiException.invalid(rat + "text", "each response must be an object with a text");
                texts.add(field(rat, "text", () -> Json.text(r, "text", true, MAX_TEXT)));
                JsonNode m = field(rat, "model", () -> Json.object(r, "model", false));
                models.add(m == null ? Response.ModelInfo.unknown() : modelInfo(m, rat + "model."));
            }
        }
        if (texts.size() < kind.minResponses() || texts.size() > kind.maxResponses())
            throw ApiException.invalid(at + "responses", kind.wireName() + " tasks need " + kind.minResponses()
                    + (kind.minResponses() == kind.maxResponses() ? "" : ".." + kind.maxResponses()) + " responses, got " + texts.size());
        if (texts.stream().distinct().count() != texts.size())
            throw ApiException.invalid(at + "responses", "the responses of a task must differ");
        JsonNode goldNode = field(at, "goldAnswer", () -> Json.object(t, "goldAnswer", false));
        JudgementPayload gold = null;
        if (goldNode != null) {
            try {
                gold = codec.fromJsonNode(goldNode);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(at + "goldAnswer", e.getMessage());
            }
        }
        // Validate the task's shape now (ids are placeholders) so that nothing is written for a bad request.
        List<Long> placeholders = new ArrayList<>();
        for (long k = 1; k <= texts.size(); k++) placeholders.add(k);
        try {
            new NewTask(1, kind, placeholders, priority, gold);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(at + (gold != null ? "goldAnswer" : "responses"), e.getMessage());
        }
        return new TaskSpec(kind, prompt, groupKey, source, texts, models, priority, gold);
    }

    private static Response.ModelInfo modelInfo(JsonNode m, String at) {
        String id = field(at, "id", () -> Json.text(m, "id", false, 200));
        String version = field(at, "version", () -> Json.text(m, "version", false, 200));
        JsonNode s = field(at, "settings", () -> Json.object(m, "settings", false));
        Map<String, String> settings = new LinkedHashMap<>();
        if (s != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isValueNode()) throw ApiException.invalid(at + "settings." + e.getKey(), "must be a string or number");
                settings.put(e.getKey(), e.getValue().asText());
            }
        }
        return new Response.ModelInfo(id, version, settings);
    }

    /** Runs a field read and prefixes the field name of a validation error with the item's path. */
    private static <T> T field(String at, String name, java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (ApiException e) {
            if (e.status() != 400) throw e;
            throw ApiException.invalid(at + (e.field() == null ? name : e.field()), e.reason());
        }
    }

    private void tasks(Context ctx, Principal who) {
        Dataset d = LabelApi.requireDataset(store, Json.id(ctx, "datasetId"));
        List<Task> tasks = store.tasks(d.id());
        ctx.json(Map.of("tasks", tasks.stream().map(Views.TaskView::of).toList(), "total", tasks.size()));
    }

    private void judgements(Context ctx, Principal who) {
        Dataset d = LabelApi.requireDataset(store, Json.id(ctx, "datasetId"));
        labels.writeJudgements(ctx, store.judgements(d.id()), true);
    }

    // ---------------------------------------------------------------- export and statistics

    private void export(Context ctx, Principal who) throws Exception {
        Dataset d = LabelApi.requireDataset(store, Json.id(ctx, "datasetId"));
        String kindText = ctx.queryParam("kind");
        ExportKind kind;
        try {
            kind = kindText == null || kindText.isBlank() ? ExportKind.PAIRS : ExportKind.fromId(kindText);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("kind", e.getMessage());
        }
        Double minAgreement = Json.queryNumber(ctx, "minAgreement", 0, 1);
        Double minGold = Json.queryNumber(ctx, "minGoldAccuracy", 0, 1);
        String expand = ctx.queryParam("expandRankings");
        if (expand != null && !expand.equals("true") && !expand.equals("false"))
            throw ApiException.invalid("expandRankings", "must be true or false, got '" + expand + "'");
        ExportOptions options = new ExportOptions(d.name(), kind, minAgreement == null ? 0 : minAgreement, minGold,
                expand == null || Boolean.parseBoolean(expand));
        ctx.contentType("application/x-ndjson; charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"" + safeFileName(d.name()) + "-"
                + kind.name().toLowerCase(Locale.ROOT) + ".jsonl\"");
        // Streams straight to the socket (chunked): the export is never held in memory as a whole.
        Writer out = new BufferedWriter(new OutputStreamWriter(ctx.res().getOutputStream(), StandardCharsets.UTF_8), 1 << 16);
        new FeedbackExporter(store).export(options, out);
        out.flush();
    }

    private static String safeFileName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private void stats(Context ctx, Principal who) {
        long id = Json.id(ctx, "datasetId");
        Map<Long, String> names = store.annotators().stream().collect(Collectors.toMap(Annotator::id, Annotator::name));
        ctx.json(Views.DatasetStatsView.of(new FeedbackStats(store).dataset(id, config.zone()), names));
    }

    private void overview(Context ctx, Principal who) {
        FeedbackStats stats = new FeedbackStats(store);
        Map<Long, DatasetSummary> sums = new HashMap<>();
        for (DatasetSummary s : stats.datasets()) sums.put(s.dataset().id(), s);
        List<Views.DatasetView> datasets = store.datasets().stream().map(d -> Views.DatasetView.of(d, sums.get(d.id()))).toList();
        ctx.json(new Views.OverviewView(datasets, stats.annotators(config.zone()).stream().map(Views.AnnotatorStatsView::of).toList()));
    }

    // ---------------------------------------------------------------- annotators and tokens

    private void annotators(Context ctx, Principal who) {
        ctx.json(Map.of("annotators", store.annotators().stream().map(Views.AnnotatorView::of).toList()));
    }

    private void createAnnotator(Context ctx, Principal who) {
        JsonNode body = Json.body(ctx, mapper, maxBody);
        String name = Json.text(body, "name", true, 200).strip();
        String kindText = Json.text(body, "kind", false, 40);
        AnnotatorKind kind;
        try {
            kind = kindText == null ? AnnotatorKind.HUMAN : AnnotatorKind.fromWire(kindText);
        } catch (IllegalArgumentException e) {
            kind = null;
        }
        if (kind == null || kind == AnnotatorKind.EXTERNAL_IMPORT)
            throw ApiException.invalid("kind", "must be human, admin, simulated or ai-judge, got '" + kindText + "'");
        Annotator a = store.createAnnotator(name, kind);
        String token = store.issueToken(a.id(), "created by " + who.annotator().name());
        ctx.status(201).json(new Views.CreatedAnnotatorView(Views.AnnotatorView.of(a), token));
    }

    private void issueToken(Context ctx, Principal who) {
        Annotator a = requireAnnotator(Json.id(ctx, "annotatorId"));
        if (a.kind() == AnnotatorKind.EXTERNAL_IMPORT)
            throw ApiException.invalid("annotatorId", "imported label sources cannot hold tokens");
        ctx.status(201).json(new Views.TokenView(a.id(), store.issueToken(a.id(), "issued by " + who.annotator().name())));
    }

    private void revokeTokens(Context ctx, Principal who) {
        Annotator a = requireAnnotator(Json.id(ctx, "annotatorId"));
        int n = store.revokeTokens(a.id());
        revoked.accept(a.id()); // the server's token cache forgets them now
        ctx.json(Map.of("annotatorId", a.id(), "revoked", n));
    }

    private Annotator requireAnnotator(long id) {
        return store.annotator(id).orElseThrow(() -> ApiException.notFound("annotator " + id + " does not exist"));
    }
}
