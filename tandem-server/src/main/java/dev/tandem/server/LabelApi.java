package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.feedback.AnnotatorKind;
import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.Dataset;
import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.PayloadCodec;
import dev.tandem.feedback.SubmitResult;
import dev.tandem.feedback.Submission;
import dev.tandem.feedback.store.DatasetSummary;
import dev.tandem.feedback.store.FeedbackStore;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The annotator's routes: who am I, which datasets, next task, submit, skip, my judgements. */
final class LabelApi {
    /** Seven days: longer "time spent" values are client bugs. */
    private static final long MAX_DURATION_MILLIS = 7L * 24 * 3600 * 1000;
    private static final Pattern FIELD = Pattern.compile("field '([^']+)'");

    private final FeedbackStore store;
    private final ObjectMapper mapper;
    private final PayloadCodec codec;
    private final long maxBody;
    private final ZoneId zone;

    LabelApi(FeedbackStore store, ObjectMapper mapper, PayloadCodec codec, ServerConfig config) {
        this.store = store;
        this.mapper = mapper;
        this.codec = codec;
        this.maxBody = config.maxRequestBytes();
        this.zone = config.zone();
    }

    List<ApiRoute> routes() {
        return List.of(
                ApiRoute.get("/api/health").role(Role.PUBLIC).tag("meta").summary("Liveness check").handle(this::health),
                ApiRoute.get("/api/me").summary("The caller: name, kind, whether admin, judgements in total and today")
                        .returns("Me").handle(this::me),
                ApiRoute.get("/api/datasets").summary("Datasets with their task counts").returns("DatasetList").handle(this::datasets),
                ApiRoute.get("/api/datasets/{datasetId}").summary("One dataset with its settings and counts")
                        .returns("Dataset").handle(this::dataset),
                ApiRoute.get("/api/datasets/{datasetId}/next")
                        .summary("Lease the next task for me (the same one again while my lease is live); 204 when nothing is left")
                        .returns("AssignedTask").handle(this::next),
                ApiRoute.get("/api/assignments/{assignmentId}").summary("Re-read one of my leases (to render it again)")
                        .returns("AssignedTask").handle(this::assignment),
                ApiRoute.post("/api/assignments/{assignmentId}/judgement").body("Submission").ok(201, "application/json")
                        .summary("Submit a judgement; idempotent by clientId (a retry returns the same answer with "
                                + "header Idempotent-Replayed: true)")
                        .returns("Submitted").handle(this::submit),
                ApiRoute.post("/api/assignments/{assignmentId}/release").ok(204, null)
                        .summary("Skip a leased task; it goes back to the queue for others").handle(this::release),
                ApiRoute.get("/api/annotators/{annotatorId}/judgements")
                        .summary("Judgements of one annotator (yourself; admins may read anyone's)")
                        .query(new ApiRoute.QueryParam("limit", "integer", "at most this many, newest last (default 500, max 10000)"),
                                new ApiRoute.QueryParam("afterId", "integer", "only judgements with a larger id (paging)"))
                        .returns("JudgementList").handle(this::judgementsOf));
    }

    private void health(Context ctx, Principal who) {
        ctx.json(Map.of("status", "ok"));
    }

    private void me(Context ctx, Principal who) {
        List<Judgement> mine = store.judgementsBy(who.id());
        LocalDate today = LocalDate.now(zone);
        int todayCount = (int) mine.stream().filter(j -> LocalDate.ofInstant(j.createdAt(), zone).equals(today)).count();
        ctx.json(new Views.MeView(who.id(), who.annotator().name(), who.annotator().kind().wireName(), who.isAdmin(),
                mine.size(), todayCount));
    }

    private void datasets(Context ctx, Principal who) {
        Map<Long, DatasetSummary> sums = store.datasetSummaries().stream()
                .collect(Collectors.toMap(s -> s.dataset().id(), Function.identity()));
        ctx.json(Map.of("datasets", store.datasets().stream().map(d -> Views.DatasetView.of(d, sums.get(d.id()))).toList()));
    }

    private void dataset(Context ctx, Principal who) {
        Dataset d = requireDataset(store, Json.id(ctx, "datasetId"));
        DatasetSummary s = store.datasetSummaries().stream().filter(x -> x.dataset().id() == d.id()).findFirst().orElse(null);
        ctx.json(Views.DatasetView.of(d, s));
    }

    private void next(Context ctx, Principal who) {
        long datasetId = Json.id(ctx, "datasetId");
        if (who.annotator().kind() == AnnotatorKind.AI_JUDGE) { // a lease would take one of the people's overlap slots
            throw ApiException.forbidden("AI judges do not lease tasks: run `tandem judge`, which stores AI labels "
                    + "without taking the people's overlap slots");
        }
        Optional<AssignedTask> t = store.nextTask(who.id(), datasetId); // NOT_FOUND for unknown datasets
        if (t.isEmpty()) {
            ctx.status(204);
            return;
        }
        sendJson(ctx, 200, Views.AssignedView.of(t.get()));
    }

    private void assignment(Context ctx, Principal who) {
        ctx.json(Views.AssignedView.of(store.assignment(Json.id(ctx, "assignmentId"), who.id())));
    }

    private void submit(Context ctx, Principal who) {
        long assignmentId = Json.id(ctx, "assignmentId");
        JsonNode body = Json.body(ctx, mapper, maxBody);
        String clientId = Json.text(body, "clientId", true, 200);
        JsonNode payloadNode = Json.object(body, "payload", true);
        long duration = Json.integer(body, "durationMillis", 0, 0, MAX_DURATION_MILLIS);
        Double confidence = Json.number(body, "confidence", null, 0, 1);
        JudgementPayload payload = payload(payloadNode);
        SubmitResult r;
        try {
            Submission submission = new Submission(assignmentId, clientId, payload, duration, confidence);
            r = store.submit(who.id(), submission);
        } catch (FeedbackException e) {
            if (e.reason() == FeedbackException.Reason.INVALID) throw ApiException.invalid("payload", e.getMessage());
            throw e;
        }
        if (r.duplicate()) ctx.header("Idempotent-Replayed", "true");
        sendJson(ctx, 201, Views.SubmittedView.of(r.judgement()));
    }

    /**
     * Writes a JSON response straight to the servlet response with its Content-Length. The hot labelling routes use
     * this instead of {@code ctx.json}, whose result stream Javalin copies through a fresh 32 KiB buffer and checksums
     * for an ETag on every request; these responses are {@code Cache-Control: no-store}, so an ETag serves nothing.
     */
    private void sendJson(Context ctx, int status, Object view) {
        byte[] bytes;
        try {
            bytes = mapper.writeValueAsBytes(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + view.getClass().getSimpleName(), e);
        }
        HttpServletResponse res = ctx.res();
        res.setStatus(status);
        res.setContentType("application/json");
        res.setContentLength(bytes.length);
        try {
            res.getOutputStream().write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the client went away
        }
    }

    /** Parses a payload object; errors name the field as {@code payload.choice} etc. */
    JudgementPayload payload(JsonNode node) {
        try {
            return codec.fromJsonNode(node);
        } catch (IllegalArgumentException e) {
            Matcher m = FIELD.matcher(String.valueOf(e.getMessage()));
            throw ApiException.invalid(m.find() ? "payload." + m.group(1) : "payload", e.getMessage());
        }
    }

    private void release(Context ctx, Principal who) {
        long assignmentId = Json.id(ctx, "assignmentId");
        store.release(assignmentId, who.id());
        ctx.status(204);
    }

    private void judgementsOf(Context ctx, Principal who) {
        long annotatorId = Json.id(ctx, "annotatorId");
        who.requireSelfOrAdmin(annotatorId);
        if (store.annotator(annotatorId).isEmpty()) throw ApiException.notFound("annotator " + annotatorId + " does not exist");
        writeJudgements(ctx, store.judgementsBy(annotatorId), who.isAdmin());
    }

    void writeJudgements(Context ctx, List<Judgement> all, boolean admin) {
        int limit = Json.queryInt(ctx, "limit", 500, 1, 10_000);
        long after = Json.queryInt(ctx, "afterId", 0, 0, Integer.MAX_VALUE);
        List<Views.JudgementView> page = all.stream().filter(j -> j.id() > after).limit(limit)
                .map(j -> Views.JudgementView.of(j, codec, admin)).toList();
        ctx.json(Map.of("judgements", page, "total", all.size()));
    }

    static Dataset requireDataset(FeedbackStore store, long id) {
        return store.dataset(id).orElseThrow(() -> ApiException.notFound("dataset " + id + " does not exist"));
    }
}
