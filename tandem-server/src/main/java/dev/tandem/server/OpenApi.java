package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * Builds the OpenAPI 3 document from the route table. Schemas are hand-written in {@code openapi-schemas.json}; each
 * path, method, parameter, security requirement and error response comes from {@link ApiRoute}.
 */
final class OpenApi {
    private OpenApi() {}

    static ObjectNode document(List<ApiRoute> routes, ObjectMapper mapper, String version) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("openapi", "3.0.3");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Tandem human-feedback API");
        info.put("version", version);
        info.put("description", "Collect pairwise preferences, rankings, Likert ratings and demonstrations. "
                + "Send `Authorization: Bearer TOKEN`. Errors are JSON {error, field, reason}.");
        ObjectNode paths = doc.putObject("paths");
        for (ApiRoute r : routes) {
            ObjectNode item = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
            item.set(r.method().name().toLowerCase(Locale.ROOT), operation(r, mapper));
        }
        ObjectNode components = doc.putObject("components");
        components.set("schemas", schemas(mapper));
        ObjectNode bearer = components.putObject("securitySchemes").putObject("bearer");
        bearer.put("type", "http");
        bearer.put("scheme", "bearer");
        bearer.put("description", "An API token (64 hex characters) issued by an admin; the first admin's is printed by `tandem serve`.");
        return doc;
    }

    private static ObjectNode operation(ApiRoute r, ObjectMapper mapper) {
        ObjectNode op = mapper.createObjectNode();
        op.putArray("tags").add(r.tag());
        op.put("summary", r.summary());
        op.put("operationId", operationId(r));
        ArrayNode params = mapper.createArrayNode();
        for (String p : r.pathParams()) {
            ObjectNode n = params.addObject();
            n.put("name", p);
            n.put("in", "path");
            n.put("required", true);
            n.putObject("schema").put("type", "integer");
        }
        for (ApiRoute.QueryParam q : r.query()) {
            ObjectNode n = params.addObject();
            n.put("name", q.name());
            n.put("in", "query");
            n.put("required", false);
            n.put("description", q.description());
            n.putObject("schema").put("type", q.type());
        }
        if (!params.isEmpty()) op.set("parameters", params);
        if (r.requestSchema() != null) {
            ObjectNode body = op.putObject("requestBody");
            body.put("required", true);
            body.putObject("content").putObject("application/json").putObject("schema")
                    .put("$ref", "#/components/schemas/" + r.requestSchema());
        }
        if (r.role() == Role.PUBLIC) op.putArray("security");
        else op.putArray("security").addObject().putArray("bearer");

        ObjectNode responses = op.putObject("responses");
        ObjectNode ok = responses.putObject(String.valueOf(r.okStatus()));
        ok.put("description", r.okStatus() == 201 ? "created" : r.okStatus() == 204 ? "no content" : "OK");
        if (r.okContentType() != null) {
            ObjectNode schema = ok.putObject("content").putObject(r.okContentType()).putObject("schema");
            if (r.responseSchema() != null) schema.put("$ref", "#/components/schemas/" + r.responseSchema());
            else schema.put("type", r.okContentType().startsWith("application/json") ? "object" : "string");
        }
        if (r.path().endsWith("/next")) responses.putObject("204").put("description", "nothing left to label for you");
        if (r.requestSchema() != null || !r.query().isEmpty()) error(responses, 400, "invalid request (names the field)");
        if (r.role() != Role.PUBLIC) error(responses, 401, "missing or invalid token");
        if (r.role() == Role.ADMIN || !r.pathParams().isEmpty()) error(responses, 403, "not allowed for this token");
        // the loop routes answer 404 when the server runs without a live loop
        if (!r.pathParams().isEmpty() || r.path().startsWith("/api/loop/")) error(responses, 404, "no such resource");
        if (r.method() == io.javalin.http.HandlerType.POST && r.requestSchema() != null) error(responses, 409, "conflict");
        if (r.requestSchema() != null) error(responses, 413, "request body too large");
        if (r.role() != Role.PUBLIC) error(responses, 429, "rate limited (see Retry-After)");
        return op;
    }

    private static void error(ObjectNode responses, int status, String description) {
        ObjectNode e = responses.putObject(String.valueOf(status));
        e.put("description", description);
        e.putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/Error");
    }

    private static String operationId(ApiRoute r) {
        StringBuilder sb = new StringBuilder(r.method().name().toLowerCase(Locale.ROOT));
        for (String part : r.path().split("/")) {
            if (part.isEmpty() || part.equals("api")) continue;
            String p = part.replaceAll("[{}]", "");
            if (part.startsWith("{")) p = "By" + Character.toUpperCase(p.charAt(0)) + p.substring(1);
            sb.append(Character.toUpperCase(p.charAt(0))).append(p.substring(1));
        }
        return sb.toString().replaceAll("[^A-Za-z0-9]", "");
    }

    private static JsonNode schemas(ObjectMapper mapper) {
        try (InputStream in = OpenApi.class.getResourceAsStream("openapi-schemas.json")) {
            if (in == null) throw new IllegalStateException("openapi-schemas.json is missing from the classpath");
            return mapper.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
