package dev.tandem.server;

import io.javalin.http.HandlerType;
import java.util.List;
import java.util.Objects;

/**
 * One route of the API: how it is served and how {@code /openapi.json} describes it. The server registers exactly the
 * routes of its table and the OpenAPI document is generated from the same table, so the two cannot drift apart.
 *
 * @param method HTTP method
 * @param path Javalin path, e.g. {@code /api/datasets/{datasetId}/next} (same syntax as OpenAPI)
 * @param role who may call it
 * @param tag OpenAPI tag (group)
 * @param summary one line for the docs
 * @param requestSchema name of the request body schema in {@link OpenApi}, or null when there is no body
 * @param okStatus status of a successful answer
 * @param okContentType content type of a successful answer (null for no body)
 * @param responseSchema name of the success body schema in {@link OpenApi}, or null for a generic object
 * @param query query parameters
 * @param handler the code
 */
record ApiRoute(HandlerType method, String path, Role role, String tag, String summary, String requestSchema,
                int okStatus, String okContentType, String responseSchema, List<QueryParam> query, ApiHandler handler) {
    ApiRoute {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(summary, "summary");
        query = List.copyOf(query);
        Objects.requireNonNull(handler, "handler");
    }

    /** A query parameter: name, JSON type ({@code string}, {@code number}, {@code integer}, {@code boolean}), description. */
    record QueryParam(String name, String type, String description) {}

    /** Path parameter names, in order. */
    List<String> pathParams() {
        return java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(path).results().map(m -> m.group(1)).toList();
    }

    static Builder get(String path) { return new Builder(HandlerType.GET, path); }
    static Builder post(String path) { return new Builder(HandlerType.POST, path); }
    static Builder put(String path) { return new Builder(HandlerType.PUT, path); }
    static Builder delete(String path) { return new Builder(HandlerType.DELETE, path); }

    /** Small builder so route tables read as one line per route. */
    static final class Builder {
        private final HandlerType method;
        private final String path;
        private Role role = Role.ANNOTATOR;
        private String tag = "labelling";
        private String summary = "";
        private String requestSchema;
        private int okStatus = 200;
        private String okContentType = "application/json";
        private String responseSchema;
        private List<QueryParam> query = List.of();

        private Builder(HandlerType method, String path) {
            this.method = method;
            this.path = path;
        }

        Builder role(Role r) { role = r; return this; }
        Builder tag(String t) { tag = t; return this; }
        Builder summary(String s) { summary = s; return this; }
        Builder body(String schema) { requestSchema = schema; return this; }
        Builder ok(int status, String contentType) { okStatus = status; okContentType = contentType; return this; }
        Builder returns(String schema) { responseSchema = schema; return this; }
        Builder query(QueryParam... params) { query = List.of(params); return this; }

        ApiRoute handle(ApiHandler h) {
            return new ApiRoute(method, path, role, tag, summary, requestSchema, okStatus, okContentType, responseSchema, query, h);
        }
    }
}
